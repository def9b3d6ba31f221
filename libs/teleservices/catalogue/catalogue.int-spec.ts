import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthoringErrorCodes } from '../authoring/authoring.errors.js';
import { authoringWorld, simpleContent, type AuthoringWorld } from '../authoring/authoring.test-helper.js';
import { TeleserviceAuthoringService } from '../authoring/teleservice-authoring.service.js';
import type { Teleservice } from '../teleservices/teleservice.entity.js';
import { TeleserviceRepository } from '../teleservices/teleservice.repository.js';
import { CatalogueService } from './catalogue.service.js';

const contact = { name: 'Services techniques', email: 'st@mairie.example.fr', phone: '04 78 86 82 00' };

describe('Catalogue packs in PostgreSQL', () => {
  let world: AuthoringWorld;
  let authoring: TeleserviceAuthoringService;
  let catalogue: CatalogueService;
  let repository: TeleserviceRepository;
  let pack: Teleservice;

  beforeAll(async () => {
    world = await authoringWorld('catalogue');
    authoring = new TeleserviceAuthoringService(world.dataSource, world.clock);
    catalogue = new CatalogueService(world.dataSource, world.clock);
    repository = new TeleserviceRepository(world.dataSource.manager);
    ({ teleservice: pack } = await authoring.create(world.metropolis, {
      instanceId: await world.instance('metropole-de-lyon'),
      slug: 'pass-decheterie',
      kind: 'catalogue_pack',
      title: 'Pass déchetterie',
      summary: 'Accès aux déchetteries',
      description: 'Pass annuel.',
      content: simpleContent(),
    }));
    await authoring.publish(world.metropolis, pack.id);
  });
  afterAll(() => world?.close());

  it('lists the published packs', async () => {
    expect((await catalogue.listPacks()).map((p) => p.slug)).toEqual(['pass-decheterie']);
  });

  it('deploys a pack for an Abonné commune: a communal téléservice on its production instance, the pack’s version published as is, its contact details stored', async () => {
    const before = await world.count();
    const deployment = await catalogue.deployPack(world.saintGenis, { packId: pack.id, contact });
    const packVersion = await repository.latestPublished(pack.id);
    expect(deployment).toMatchObject({
      outcome: 'deployed',
      teleservice: { kind: 'communal', packSourceId: pack.id, collectivityId: world.saintGenis.collectivityId, slug: 'pass-decheterie', title: 'Pass déchetterie', settings: { contact, packVersionId: packVersion!.id } },
      version: { number: 1, state: 'published', checksum: packVersion!.checksum, publishedBy: 'agent-sgl' },
    });
    expect(deployment.version.form).toEqual(packVersion!.form);
    expect(deployment.version.workflow).toEqual(packVersion!.workflow);
    // Saint-Genis-Laval had no instance (Abonné): its production instance was created for its packs.
    const [instance] = await world.dataSource.query<{ slug: string; environment: string }[]>(`SELECT slug, environment FROM instance WHERE id = $1`, [deployment.teleservice.instanceId]);
    expect(instance).toEqual({ slug: 'saint-genis-laval', environment: 'production' });
    expect(await world.count()).toEqual({ teleservices: before.teleservices + 1, versions: before.versions + 1, instances: before.instances + 1 });

    // Form and workflow are fixed: the commune cannot edit them.
    await expect(authoring.editDraft(world.saintGenis, { teleserviceId: deployment.teleservice.id, ...simpleContent('Autre') })).rejects.toMatchObject({ code: AuthoringErrorCodes.PACK_FIXED });
    await expect(authoring.openDraft(world.saintGenis, deployment.teleservice.id)).rejects.toMatchObject({ code: AuthoringErrorCodes.PACK_FIXED });
  });

  it('refuses communes that are Connecté or do not adhere, and anything that is not a pack, writing nothing', async () => {
    const before = await world.count();
    await expect(catalogue.deployPack(world.venissieux, { packId: pack.id, contact })).rejects.toMatchObject({ code: AuthoringErrorCodes.PACK_NOT_ALLOWED, message: expect.stringContaining('offre connecte') });
    await expect(catalogue.deployPack(world.lyon, { packId: pack.id, contact })).rejects.toMatchObject({ code: AuthoringErrorCodes.PACK_NOT_ALLOWED, message: expect.stringContaining('pas d’adhésion') });
    await expect(catalogue.deployPack(world.metropolis, { packId: pack.id, contact })).rejects.toMatchObject({ code: AuthoringErrorCodes.PACK_NOT_ALLOWED });
    const { teleservice: notAPack } = await authoring.create(world.metropolis, { instanceId: await world.instance('metropole-de-lyon'), slug: 'pas-un-pack', kind: 'metropolitan', title: 'Pas un pack', summary: 'x' });
    const afterCreate = await world.count();
    await expect(catalogue.deployPack(world.bron, { packId: notAPack.id, contact })).rejects.toMatchObject({ code: AuthoringErrorCodes.PACK_NOT_FOUND });
    await expect(catalogue.deployPack(world.bron, { packId: pack.id, contact: { name: '', email: 'pas-un-courriel' } })).rejects.toMatchObject({
      code: AuthoringErrorCodes.COMMAND_INVALID,
      fields: expect.arrayContaining([expect.objectContaining({ path: 'contact.name' }), expect.objectContaining({ path: 'contact.email' })]),
    });
    expect(afterCreate).toEqual({ ...before, teleservices: before.teleservices + 1 });
    expect(await world.count()).toEqual(afterCreate);
  });

  it('redeploys: nothing when the pack did not change, a new published version when it did (demands keep theirs)', async () => {
    const bronDeployment = await catalogue.deployPack(world.bron, { packId: pack.id, contact }); // Partenaire: allowed too, on its own instance
    expect(bronDeployment.teleservice.instanceId).toBe(await world.instance('bron'));

    const deployed = await repository.findBySlug(await world.instance('saint-genis-laval'), 'pass-decheterie');
    const again = await catalogue.deployPack(world.saintGenis, { packId: pack.id });
    expect(again).toMatchObject({ outcome: 'unchanged', version: { number: 1 }, teleservice: { settings: { contact } } });
    expect(again.teleservice.updatedAt).toEqual(deployed!.updatedAt);

    await authoring.editDraft(world.metropolis, { teleserviceId: pack.id, ...simpleContent('Nom du titulaire du pass') });
    world.clock.advance(86_400_000);
    const v2 = await authoring.publish(world.metropolis, pack.id);
    const newContact = { ...contact, hours: 'Du lundi au vendredi, 9 h – 17 h' };
    const updated = await catalogue.deployPack(world.saintGenis, { packId: pack.id, contact: newContact });
    expect(updated).toMatchObject({ outcome: 'updated', version: { number: 2, state: 'published', checksum: v2.checksum }, teleservice: { settings: { contact: newContact, packVersionId: v2.id } } });
    expect((await repository.listVersions(deployed!.id)).map((v) => [v.number, v.state])).toEqual([
      [2, 'published'],
      [1, 'published'],
    ]);
  });
});
