import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthoringErrorCodes } from '../authoring/authoring.errors.js';
import { authoringWorld, simpleContent, type AuthoringWorld } from '../authoring/authoring.test-helper.js';
import { TeleserviceAuthoringService } from '../authoring/teleservice-authoring.service.js';
import { checksumOf, TeleserviceRepository } from '../teleservices/teleservice.repository.js';
import { BundleService } from './bundle.service.js';
import type { TeleserviceBundle } from './bundle.types.js';

describe('Bundles in PostgreSQL', () => {
  let world: AuthoringWorld;
  let authoring: TeleserviceAuthoringService;
  let bundles: BundleService;
  let repository: TeleserviceRepository;

  beforeAll(async () => {
    world = await authoringWorld('bundles');
    authoring = new TeleserviceAuthoringService(world.dataSource, world.clock);
    bundles = new BundleService(world.dataSource, world.clock);
    repository = new TeleserviceRepository(world.dataSource.manager);
  });
  afterAll(() => world?.close());

  /** Refusal with every listed path, and not one row written. */
  async function expectRefused(attempt: () => Promise<unknown>, paths: string[]) {
    const before = await world.count();
    const error = (await attempt().then(
      () => null,
      (e: unknown) => e,
    )) as { code: string; fields: { path: string; code: string }[] } | null;
    expect(error).toMatchObject({ code: AuthoringErrorCodes.BUNDLE_INVALID });
    expect(error!.fields.map((field) => field.path)).toEqual(expect.arrayContaining(paths));
    expect(await world.count()).toEqual(before);
    return error!.fields;
  }

  it('promotes a tested téléservice from givors-test to production: same checksum, same definitions, new draft then published', async () => {
    const testInstance = await world.instance('givors-test');
    const production = await world.instance('givors');
    const { teleservice: tested } = await authoring.create(world.givors, {
      instanceId: testInstance,
      slug: 'carte-identite',
      kind: 'communal',
      title: 'Pré-demande de carte d’identité',
      summary: 'Préparez votre rendez-vous.',
      anonymousAllowed: false,
      content: simpleContent(),
    });
    const testV1 = await authoring.publish(world.givors, tested.id);

    // Export → import by hand: a JSON document that survives serialisation.
    const bundle = JSON.parse(JSON.stringify(await bundles.exportBundle(world.givors, tested.id))) as TeleserviceBundle;
    expect(bundle).toMatchObject({
      format: 'parvis-teleservice-bundle',
      formatVersion: 1,
      exportedAt: world.clock.now().toISOString(),
      source: { instance: 'givors-test', collectivity: 'givors' },
      teleservice: { slug: 'carte-identite', kind: 'communal', title: 'Pré-demande de carte d’identité', routingRule: null },
      version: { checksum: testV1.checksum, form: testV1.form, workflow: testV1.workflow },
    });
    const imported = await bundles.importBundle(world.givors, production, bundle, { mode: 'new' });
    expect(imported).toMatchObject({ created: true, teleservice: { instanceId: production, slug: 'carte-identite' }, draft: { state: 'draft', number: 1, checksum: testV1.checksum } });
    expect(imported.draft.form).toEqual(testV1.form);
    expect(imported.draft.workflow).toEqual(testV1.workflow);
    expect(await repository.latestPublished(imported.teleservice.id)).toBeNull(); // never auto-published
    const prodV1 = await authoring.publish(world.givors, imported.teleservice.id);
    expect(prodV1.checksum).toBe(testV1.checksum);

    // v2 tested, then promoted in one step: a new draft of the production téléservice, published.
    await authoring.editDraft(world.givors, { teleserviceId: tested.id, ...simpleContent('Nom de naissance') });
    const testV2 = await authoring.publish(world.givors, tested.id);
    world.clock.advance(3_600_000);
    const promoted = await bundles.promoteToProduction(world.givors, tested.id);
    expect(promoted).toMatchObject({ created: false, teleservice: { id: imported.teleservice.id }, published: { number: 2, state: 'published', checksum: testV2.checksum, publishedBy: 'agent-givors' } });
    expect((await repository.listVersions(imported.teleservice.id)).map((v) => [v.number, v.state, v.checksum])).toEqual([
      [2, 'published', testV2.checksum],
      [1, 'published', testV1.checksum],
    ]);
    // Only the owner exports or promotes.
    await expect(bundles.exportBundle(world.bron, tested.id)).rejects.toMatchObject({ code: AuthoringErrorCodes.FORBIDDEN });
    await expect(bundles.promoteToProduction(world.bron, tested.id)).rejects.toMatchObject({ code: AuthoringErrorCodes.FORBIDDEN });
  });

  it('refuses a tampered, invalid or conflicting bundle with every error listed and nothing written', async () => {
    const production = await world.instance('givors');
    const { teleservice } = await authoring.create(world.givors, { instanceId: production, slug: 'stationnement', kind: 'communal', title: 'Carte de stationnement', summary: 'Résident', content: simpleContent() });
    await authoring.publish(world.givors, teleservice.id);
    const bundle = await bundles.exportBundle(world.givors, teleservice.id);
    const fresh = () => JSON.parse(JSON.stringify(bundle)) as TeleserviceBundle;

    // Tampered: a label changed without the checksum.
    const tampered = fresh();
    (tampered.version.form as { pages: { fields: { label: string }[] }[] }).pages[0].fields[0].label = 'Nom modifié';
    const checksumErrors = await expectRefused(() => bundles.importBundle(world.givors, production, { ...tampered, teleservice: { ...tampered.teleservice, slug: 'autre-slug' } }, { mode: 'new' }), ['/version/checksum']);
    expect(checksumErrors).toEqual([expect.objectContaining({ code: 'CHECKSUM_MISMATCH' })]);

    // Invalid definitions, with a matching checksum: every definition error, under /version.
    const invalid = fresh();
    invalid.teleservice.slug = 'stationnement-bis';
    invalid.version.form = { schemaVersion: 1, pages: [{ id: 'p', title: 'P', fields: [{ id: 'x', type: 'texte', label: 'X' }] }] };
    invalid.version.workflow = { ...(invalid.version.workflow as object), initialStatus: 'nulle-part' };
    invalid.version.checksum = checksumOf(invalid.version);
    await expectRefused(() => bundles.importBundle(world.givors, production, invalid, { mode: 'new' }), ['/version/form/pages/0/fields/0/type', '/version/workflow/initialStatus']);

    // Slug already taken on the target; together with the tampering, both are listed.
    await expectRefused(() => bundles.importBundle(world.givors, production, fresh(), { mode: 'new' }), ['/teleservice/slug']);
    await expectRefused(() => bundles.importBundle(world.givors, production, tampered, { mode: 'new' }), ['/teleservice/slug', '/version/checksum']);
    // A format version this platform does not read.
    await expectRefused(() => bundles.importBundle(world.givors, production, { ...fresh(), formatVersion: 2 }, { mode: 'new' }), ['/formatVersion']);
    // Not a bundle at all.
    await expectRefused(() => bundles.importBundle(world.givors, production, { hello: 'world' }, { mode: 'new' }), ['/format', '/version', '/hello']);
    // A new draft of a téléservice that does not exist there.
    const missing = fresh();
    missing.teleservice.slug = 'inconnu';
    await expectRefused(() => bundles.importBundle(world.givors, production, missing, { mode: 'new_draft_of_existing' }), ['/teleservice/slug']);
    // Another collectivity's instance.
    await expectRefused(() => bundles.importBundle(world.bron, production, fresh(), { mode: 'new_draft_of_existing' }), ['instance']);
  });

  it('keeps catalogue packs and mutualised téléservices on the metropolis’ instance, and lets the metropolis share one as communal', async () => {
    const metropole = await world.instance('metropole-de-lyon');
    const givors = await world.instance('givors');
    const { teleservice: pack } = await authoring.create(world.metropolis, { instanceId: metropole, slug: 'pack-encombrants', kind: 'catalogue_pack', title: 'Enlèvement des encombrants', summary: 'Pack', content: simpleContent() });
    await authoring.publish(world.metropolis, pack.id);
    const packBundle = await bundles.exportBundle(world.metropolis, pack.id);
    const errors = await expectRefused(() => bundles.importBundle(world.givors, givors, packBundle, { mode: 'new' }), ['/teleservice/kind']);
    expect(errors).toEqual([expect.objectContaining({ code: 'KIND_NOT_ALLOWED', message: expect.stringContaining('métropole') })]);

    const { teleservice: mutualised } = await authoring.create(world.metropolis, {
      instanceId: metropole,
      slug: 'signalement-test',
      kind: 'mutualised',
      title: 'Signalement',
      summary: 'x',
      routingRule: { by: 'commune', field: 'commune' },
      content: simpleContent('Nom', [{ id: 'commune', type: 'commune', label: 'Commune', required: true }]),
    });
    await authoring.publish(world.metropolis, mutualised.id);
    const mutualisedBundle = await bundles.exportBundle(world.metropolis, mutualised.id);
    await expectRefused(() => bundles.importBundle(world.givors, givors, mutualisedBundle, { mode: 'new' }), ['/teleservice/kind']);
    // Into the metropolis' test instance: fine, routing rule kept.
    const toTest = await bundles.importBundle(world.metropolis, await world.instance('metropole-de-lyon-test'), mutualisedBundle, { mode: 'new' });
    expect(toTest.teleservice).toMatchObject({ kind: 'mutualised', routingRule: { by: 'commune', field: 'commune' } });

    // Shared with a commune as its own communal téléservice.
    const shared = await bundles.importBundle(world.givors, givors, packBundle, { mode: 'new', kind: 'communal', slug: 'encombrants' });
    expect(shared).toMatchObject({ created: true, teleservice: { kind: 'communal', slug: 'encombrants', collectivityId: world.givors.collectivityId, packSourceId: null }, draft: { checksum: packBundle.version.checksum } });
  });
});
