import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createDataSource } from '#db';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '#platform';
import { createTestDatabase, type TestDatabase } from '#testing';
import { TeleserviceErrorCodes } from './teleservice.errors.js';
import { checksumOf, TeleserviceRepository, type NewTeleservice } from './teleservice.repository.js';

const T0 = new Date('2026-01-15T09:00:00.000Z');
const T1 = new Date('2026-01-16T09:00:00.000Z');
const content = (title: string) => ({ form: { title, pages: [{ id: 'p1', fields: [] }] }, workflow: { statuses: ['new'] }, dataSources: [] });

describe('TeleserviceRepository in PostgreSQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let repo: TeleserviceRepository;
  let givors: string;
  let venissieux: string;
  let instance: string;
  let n = 0;
  const create = (overrides: Partial<NewTeleservice> = {}) =>
    repo.create({ instanceId: instance, collectivityId: givors, slug: `demarche-${++n}`, kind: 'communal', title: 'Démarche', summary: 'Résumé', now: T0, ...overrides });

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url, applicationName: 'parvis-test-teleservices', entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 3 });
    await dataSource.initialize();
    repo = new TeleserviceRepository(dataSource.manager);
    const id = async (insee: string) => (await dataSource.query<{ id: string }[]>(`SELECT id FROM collectivity WHERE insee_code = $1`, [insee]))[0].id;
    givors = await id('69091');
    venissieux = await id('69259');
    [{ id: instance }] = await dataSource.query<{ id: string }[]>(
      `INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, 'production', 'givors') RETURNING id`,
      [givors],
    );
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.drop();
  });

  it('creates a téléservice owned by its instance’s collectivity, with a slug unique per instance', async () => {
    const created = await create({ slug: 'etat-civil' });
    expect(created).toMatchObject({ collectivityId: givors, instanceId: instance, kind: 'communal', anonymousAllowed: false, routingRule: null });
    await expect(create({ slug: 'etat-civil' })).rejects.toMatchObject({ code: TeleserviceErrorCodes.TELESERVICE_SLUG_TAKEN });
    // Another collectivity cannot create on Givors' instance.
    await expect(create({ collectivityId: venissieux })).rejects.toMatchObject({ code: TeleserviceErrorCodes.INSTANCE_NOT_FOUND });
  });

  it('stores a routing rule on mutualised téléservices only (CHECK), and says which field is wrong', async () => {
    await expect(create({ kind: 'mutualised' })).rejects.toMatchObject({ code: TeleserviceErrorCodes.TELESERVICE_INVALID, fields: [expect.objectContaining({ path: 'routingRule' })] });
    await expect(create({ kind: 'communal', routingRule: { by: 'postcode', field: 'cp' } })).rejects.toMatchObject({ fields: [expect.objectContaining({ path: 'routingRule' })] });
    await expect(create({ kind: 'mutualised', routingRule: { by: 'astrology', field: 'x' } as never })).rejects.toMatchObject({ code: TeleserviceErrorCodes.TELESERVICE_INVALID });
    await expect(create({ kind: 'mutualised', routingRule: { by: 'address' } as never })).rejects.toMatchObject({ code: TeleserviceErrorCodes.TELESERVICE_INVALID });
    await expect(create({ kind: 'mutualised', routingRule: ['address'] as never })).rejects.toMatchObject({ code: TeleserviceErrorCodes.TELESERVICE_INVALID });
    expect((await create({ kind: 'mutualised', routingRule: { by: 'address', field: 'adresse' } })).routingRule).toEqual({ by: 'address', field: 'adresse' });
    await expect(create({ slug: 'Pas Un Slug' })).rejects.toMatchObject({ fields: [expect.objectContaining({ path: 'slug' })] });
  });

  it('publishes a draft as an immutable numbered version; the next draft copies it under the next number', async () => {
    const ts = await create();
    const draft = await repo.createDraft(givors, ts.id, T0, content('v1'));
    expect(draft).toMatchObject({ number: 1, state: 'draft', publishedAt: null, checksum: checksumOf(content('v1')) });
    await repo.updateDraft(givors, ts.id, content('v1 bis'));
    const v1 = await repo.publish(givors, ts.id, { publishedBy: 'agent-1', now: T1 });
    expect(v1).toMatchObject({ id: draft.id, number: 1, state: 'published', publishedBy: 'agent-1', publishedAt: T1, form: content('v1 bis').form });
    expect(v1.checksum).toBe(checksumOf(content('v1 bis')));
    expect(await repo.findDraft(givors, ts.id)).toBeNull();
    await expect(repo.updateDraft(givors, ts.id, content('x'))).rejects.toMatchObject({ code: TeleserviceErrorCodes.DRAFT_NOT_FOUND });

    const v2draft = await repo.createDraft(givors, ts.id, T1);
    expect(v2draft).toMatchObject({ number: 2, state: 'draft', form: v1.form, checksum: v1.checksum });
    expect((await repo.latestPublished(ts.id))?.id).toBe(v1.id);
    await repo.updateDraft(givors, ts.id, content('v2'));
    const v2 = await repo.publish(givors, ts.id, { publishedBy: 'agent-1', now: T1 });
    expect((await repo.latestPublished(ts.id))?.id).toBe(v2.id);
    expect((await repo.listVersions(ts.id)).map((v) => [v.number, v.state])).toEqual([[2, 'published'], [1, 'published']]);
    // v1 is untouched by everything since.
    expect(await repo.findVersion(v1.id)).toEqual(v1);
  });

  it('refuses to publish an invalid definition, listing every error, and keeps the draft', async () => {
    const ts = await create();
    await repo.createDraft(givors, ts.id, T0, content('v1'));
    const errors = [
      { path: '/form/pages/0/fields', code: 'MIN_ITEMS', message: 'Au moins un champ.' },
      { path: '/workflow/statuses/0', code: 'REQUIRED', message: 'Statut sans libellé.' },
    ];
    await expect(repo.publish(givors, ts.id, { publishedBy: 'a', now: T1, validator: { validate: () => errors } })).rejects.toMatchObject({
      code: TeleserviceErrorCodes.DEFINITION_INVALID,
      fields: errors,
    });
    expect((await repo.findDraft(givors, ts.id))?.state).toBe('draft');
    expect(await repo.latestPublished(ts.id)).toBeNull();
  });

  it('has at most one draft per téléservice, also against a raw insert', async () => {
    const ts = await create();
    const draft = await repo.createDraft(givors, ts.id, T0, content('v1'));
    await expect(repo.createDraft(givors, ts.id, T0, content('v1'))).rejects.toMatchObject({ code: TeleserviceErrorCodes.DRAFT_EXISTS });
    await expect(
      dataSource.query(
        `INSERT INTO teleservice_version (teleservice_id, number, state, form, workflow, data_sources, checksum) VALUES ($1, 9, 'draft', '{}', '{}', '[]', $2)`,
        [ts.id, draft.checksum],
      ),
    ).rejects.toThrow(/teleservice_version_draft_key/);
  });

  it('only the owning collectivity edits or publishes', async () => {
    const ts = await create();
    await expect(repo.createDraft(venissieux, ts.id, T0, content('x'))).rejects.toMatchObject({ code: TeleserviceErrorCodes.TELESERVICE_NOT_FOUND });
    await repo.createDraft(givors, ts.id, T0, content('v1'));
    await expect(repo.updateDraft(venissieux, ts.id, content('x'))).rejects.toMatchObject({ code: TeleserviceErrorCodes.DRAFT_NOT_FOUND });
    await expect(repo.publish(venissieux, ts.id, { publishedBy: 'x', now: T1 })).rejects.toMatchObject({ code: TeleserviceErrorCodes.TELESERVICE_NOT_FOUND });
  });

  it('PostgreSQL refuses any UPDATE or DELETE of a published version, whoever asks', async () => {
    const ts = await create();
    await repo.createDraft(givors, ts.id, T0, content('v1'));
    const v1 = await repo.publish(givors, ts.id, { publishedBy: 'a', now: T1 });
    await expect(dataSource.query(`UPDATE teleservice_version SET form = '{}' WHERE id = $1`, [v1.id])).rejects.toThrow(/published and immutable/);
    await expect(dataSource.query(`UPDATE teleservice_version SET state = 'draft', published_at = NULL WHERE id = $1`, [v1.id])).rejects.toThrow(
      /published and immutable/,
    );
    await expect(dataSource.query(`DELETE FROM teleservice_version WHERE id = $1`, [v1.id])).rejects.toMatchObject({ code: 'PV001' });
    expect(await repo.findVersion(v1.id)).toEqual(v1);
    // A draft, on the other hand, may be deleted (abandoned).
    const draft = await repo.createDraft(givors, ts.id, T1);
    await dataSource.query(`DELETE FROM teleservice_version WHERE id = $1`, [draft.id]);
    expect(await repo.findVersion(draft.id)).toBeNull();
  });
});
