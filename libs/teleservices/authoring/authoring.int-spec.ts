import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TeleserviceErrorCodes } from '../teleservices/teleservice.errors.js';
import { TeleserviceRepository } from '../teleservices/teleservice.repository.js';
import { AuthoringErrorCodes } from './authoring.errors.js';
import { authoringWorld, simpleContent, type AuthoringWorld } from './authoring.test-helper.js';
import { TeleserviceAuthoringService } from './teleservice-authoring.service.js';

describe('TeleserviceAuthoringService in PostgreSQL', () => {
  let world: AuthoringWorld;
  let service: TeleserviceAuthoringService;
  let givorsProd: string;
  let metropoleProd: string;
  let n = 0;

  beforeAll(async () => {
    world = await authoringWorld('authoring');
    service = new TeleserviceAuthoringService(world.dataSource, world.clock);
    givorsProd = await world.instance('givors');
    metropoleProd = await world.instance('metropole-de-lyon');
  });
  afterAll(() => world?.close());

  const createGivors = async (content = simpleContent()) =>
    service.create(world.givors, { instanceId: givorsProd, slug: `demarche-${++n}`, kind: 'communal', title: 'Démarche de test', summary: 'Résumé', content });

  it('creates a téléservice with a first draft on the actor’s own instance, with the kinds its collectivity may own', async () => {
    const { teleservice, draft } = await createGivors();
    expect(teleservice).toMatchObject({ collectivityId: world.givors.collectivityId, instanceId: givorsProd, kind: 'communal' });
    expect(draft).toMatchObject({ version: { number: 1, state: 'draft' }, errors: [] });

    await expect(service.create(world.givors, { instanceId: givorsProd, slug: 'mutu', kind: 'mutualised', title: 'Mutualisé', summary: 'x', routingRule: { by: 'commune', field: 'c' } })).rejects.toMatchObject({
      code: AuthoringErrorCodes.KIND_NOT_ALLOWED,
      fields: [expect.objectContaining({ path: 'kind', message: expect.stringContaining('métropole') })],
    });
    await expect(service.create(world.metropolis, { instanceId: metropoleProd, slug: 'communal', kind: 'communal', title: 'Communal', summary: 'x' })).rejects.toMatchObject({
      code: AuthoringErrorCodes.KIND_NOT_ALLOWED,
    });
    // Another collectivity's instance: not found for Bron.
    await expect(service.create(world.bron, { instanceId: givorsProd, slug: 'intrus', kind: 'communal', title: 'Intrus', summary: 'x' })).rejects.toMatchObject({
      code: TeleserviceErrorCodes.INSTANCE_NOT_FOUND,
    });
    // The command validates itself and lists every problem.
    await expect(service.create(world.givors, { instanceId: 'pas-un-uuid', slug: 'Pas Un Slug', kind: 'communal', title: '', summary: 'x' })).rejects.toMatchObject({
      code: AuthoringErrorCodes.COMMAND_INVALID,
      fields: expect.arrayContaining([expect.objectContaining({ path: 'instanceId' }), expect.objectContaining({ path: 'slug' }), expect.objectContaining({ path: 'title' })]),
    });
  });

  it('refuses to publish an invalid draft with every error, prefixed; publishes it once fixed, recording who published', async () => {
    const broken = simpleContent('', [{ id: 'age', type: 'number', label: 'Âge', min: 10, max: 1 }]);
    const { teleservice, draft } = await createGivors({ ...broken, workflow: { ...broken.workflow, initialStatus: 'inconnu' } });
    expect(draft!.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['/form/pages/0/fields/0/label', '/form/pages/0/fields/2/max', '/workflow/initialStatus']));

    const refusal = service.publish(world.givors, teleservice.id);
    await expect(refusal).rejects.toMatchObject({ code: TeleserviceErrorCodes.DEFINITION_INVALID });
    const error = (await refusal.catch((e: unknown) => e)) as { fields: { path: string }[] };
    expect(error.fields.map((e) => e.path)).toEqual(expect.arrayContaining(['/form/pages/0/fields/0/label', '/form/pages/0/fields/2/max', '/workflow/initialStatus']));
    const repository = new TeleserviceRepository(world.dataSource.manager);
    expect(await repository.latestPublished(teleservice.id)).toBeNull();

    const saved = await service.editDraft(world.givors, { teleserviceId: teleservice.id, ...simpleContent() });
    expect(saved).toMatchObject({ version: { id: draft!.version.id, number: 1 }, errors: [] });
    world.clock.advance(60_000);
    const published = await service.publish(world.givors, teleservice.id);
    expect(published).toMatchObject({ number: 1, state: 'published', publishedBy: 'agent-givors', publishedAt: world.clock.now() });
    // The next draft is a copy; publishing it again gives version 2.
    const next = await service.openDraft(world.givors, teleservice.id);
    expect(next).toMatchObject({ number: 2, checksum: published.checksum });
  });

  it('refuses a mutualised téléservice whose routing field does not match its form', async () => {
    const { teleservice } = await service.create(world.metropolis, {
      instanceId: metropoleProd,
      slug: 'signalement-mal-route',
      kind: 'mutualised',
      title: 'Signalement',
      summary: 'x',
      routingRule: { by: 'map_point', field: 'nom' },
      content: simpleContent(),
    });
    await expect(service.publish(world.metropolis, teleservice.id)).rejects.toMatchObject({
      code: TeleserviceErrorCodes.DEFINITION_INVALID,
      fields: [expect.objectContaining({ path: '/routingRule/field', code: 'ROUTING_FIELD_INCOMPATIBLE' })],
    });
    await service.editDraft(world.metropolis, { teleserviceId: teleservice.id, ...simpleContent('Nom', [{ id: 'lieu', type: 'map_point', label: 'Lieu', required: true }]) });
    await expect(service.publish(world.metropolis, teleservice.id)).rejects.toMatchObject({ fields: [expect.objectContaining({ path: '/routingRule/field' })] });
  });

  it('lets only the owning collectivity edit, publish, set dates or archive', async () => {
    const { teleservice } = await createGivors();
    const before = await world.count();
    for (const attempt of [
      () => service.editDraft(world.bron, { teleserviceId: teleservice.id, ...simpleContent('Piraté') }),
      () => service.publish(world.bron, teleservice.id),
      () => service.openDraft(world.bron, teleservice.id),
      () => service.setPublicationWindow(world.bron, { teleserviceId: teleservice.id, opensAt: null, closesAt: null }),
      () => service.archive(world.metropolis, teleservice.id),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: AuthoringErrorCodes.FORBIDDEN, kind: 'forbidden' });
    }
    expect(await world.count()).toEqual(before);
    const draft = await new TeleserviceRepository(world.dataSource.manager).findDraft(world.givors.collectivityId, teleservice.id);
    expect((draft!.form as { pages: { fields: { label: string }[] }[] }).pages[0].fields[0].label).toBe('Nom');
  });

  it('sets a publication window, refuses one that closes before it opens, and archives for good', async () => {
    const { teleservice } = await createGivors();
    const updated = await service.setPublicationWindow(world.givors, { teleserviceId: teleservice.id, opensAt: '2026-09-01T06:00:00Z', closesAt: '2026-10-15T22:00:00+02:00' });
    expect(updated).toMatchObject({ opensAt: new Date('2026-09-01T06:00:00Z'), closesAt: new Date('2026-10-15T20:00:00Z') });
    await expect(service.setPublicationWindow(world.givors, { teleserviceId: teleservice.id, opensAt: '2026-09-01T06:00:00Z', closesAt: '2026-08-01T06:00:00Z' })).rejects.toMatchObject({
      code: AuthoringErrorCodes.COMMAND_INVALID,
      fields: [expect.objectContaining({ path: 'closesAt' })],
    });
    const archived = await service.archive(world.givors, teleservice.id);
    expect(archived.archivedAt).toEqual(world.clock.now());
    expect((await service.archive(world.givors, teleservice.id)).archivedAt).toEqual(archived.archivedAt);
    await expect(service.editDraft(world.givors, { teleserviceId: teleservice.id, ...simpleContent() })).rejects.toMatchObject({ code: AuthoringErrorCodes.ARCHIVED });
    await expect(service.publish(world.givors, teleservice.id)).rejects.toMatchObject({ code: AuthoringErrorCodes.ARCHIVED });
  });

  it('compares two versions for the owner', async () => {
    const { teleservice } = await createGivors();
    const v1 = await service.publish(world.givors, teleservice.id);
    await service.editDraft(world.givors, { teleserviceId: teleservice.id, ...simpleContent('Nom de naissance', [{ id: 'tel', type: 'text', format: 'phone_fr', label: 'Téléphone' }]) });
    const v2 = await service.publish(world.givors, teleservice.id);
    const diff = await service.diff(world.givors, teleservice.id, v1.id, v2.id);
    expect(diff.form.fields.added.map((f) => f.id)).toEqual(['tel']);
    expect(diff.summary).toContain('Champ nom : libellé « Nom » → « Nom de naissance ».');
    await expect(service.diff(world.bron, teleservice.id, v1.id, v2.id)).rejects.toMatchObject({ code: AuthoringErrorCodes.FORBIDDEN });
  });
});
