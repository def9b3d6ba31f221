import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { DemandEngine } from '#demands';
import { TeleserviceRepository } from '#teleservices';
import { startTestApp, type TestApp } from '#testing';
import { engineApp } from './engine.app.js';
import { seedEngine, TEST_WORKFLOW, type EngineSeed } from './engine-test-fixture.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** The demo's anomaly report form, as far as GeoReport is concerned. */
const ANOMALY = {
  schemaVersion: 1,
  title: 'Signaler une anomalie',
  pages: [
    {
      id: 'anomalie',
      title: 'L’anomalie',
      fields: [
        {
          id: 'categorie',
          type: 'choice',
          label: 'Type d’anomalie',
          required: true,
          options: [
            { value: 'voirie', label: 'Voirie (nid-de-poule, trottoir abîmé)' },
            { value: 'eclairage', label: 'Éclairage public en panne' },
            { value: 'autre', label: 'Autre' },
          ],
        },
        { id: 'lieu', type: 'map_point', label: 'Emplacement', required: true },
        { id: 'repere', type: 'text', label: 'Repère', maxLength: 200 },
        { id: 'description', type: 'long_text', label: 'Description', required: true, minLength: 10, maxLength: 2000 },
        { id: 'danger', type: 'yes_no', label: 'Danger pour les usagers ?', required: true },
        { id: 'photo', type: 'file', label: 'Photo', accept: ['image/png'], maxFiles: 1 },
      ],
    },
    {
      id: 'contact',
      title: 'Vos coordonnées',
      fields: [
        { id: 'prenom', type: 'text', label: 'Prénom', maxLength: 100 },
        { id: 'nom', type: 'text', label: 'Nom', maxLength: 100 },
        { id: 'email', type: 'email', label: 'Courriel' },
      ],
    },
  ],
};

describe('Open311 GeoReport v2 over the anomaly report téléservice (PostgreSQL)', () => {
  let app: TestApp;
  let db: DataSource;
  let seed: EngineSeed;
  let storageDir: string;

  const get = async (path: string) => {
    const res = await fetch(`${app.url}/open311/v2/${path}`);
    return { status: res.status, body: (await res.json()) as any };
  };
  const postForm = async (params: Record<string, string>) => {
    const res = await fetch(`${app.url}/open311/v2/requests.json`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
    return { status: res.status, body: (await res.json()) as any };
  };
  const getXml = async (path: string) => {
    const res = await fetch(`${app.url}/open311/v2/${path}`);
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };
  const postXml = async (params: Record<string, string>) => {
    const res = await fetch(`${app.url}/open311/v2/requests.xml`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };
  /** The text of every `<name>` element of an XML document (the documents here have no attributes). */
  const texts = (xml: string, name: string) => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);
  const report = {
    service_code: 'voirie',
    lat: '45.7578',
    long: '4.8320',
    address_string: 'Devant le 12 rue de la République',
    description: 'Un nid-de-poule profond sur la chaussée.',
    email: 'riverain@example.org',
    first_name: 'Dominique',
    'attribute[danger]': 'true',
  };

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-open311-'));
    app = await startTestApp(engineApp, { env: { STORAGE_DIR: storageDir } });
    db = app.app.get(DataSource);
    seed = await seedEngine(db);
    await seed.publish(seed.anomaly, ANOMALY, TEST_WORKFLOW);
    // Publications made by the tests (a second jurisdiction) are seen at once.
    app.app.get(DemandEngine).catalogueTtlMs = 0;
    app.app.get(DemandEngine).forgetCatalogue();
  });

  afterAll(async () => {
    await app?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('refuses a call without a valid key, in the GeoReport error shape', async () => {
    const res = await get('services.json?api_key=pvk_faux');
    expect(res.status).toBe(401);
    expect(res.body).toEqual([{ code: 401, description: expect.any(String) }]);
  });

  it('lists the categories as services and the other questions as attributes', async () => {
    const services = await get(`services.json?api_key=${seed.key}`);
    expect(services.status).toBe(200);
    expect(services.body.map((s: any) => s.service_code)).toEqual(['voirie', 'eclairage', 'autre']);
    expect(services.body[0]).toMatchObject({ service_name: 'Voirie (nid-de-poule, trottoir abîmé)', metadata: true, type: 'realtime', group: 'Signaler une anomalie sur l’espace public' });
    const definition = await get(`services/voirie.json?api_key=${seed.key}`);
    expect(definition.body.service_code).toBe('voirie');
    expect(definition.body.attributes).toEqual([
      expect.objectContaining({ code: 'danger', datatype: 'singlevaluelist', required: true, values: [{ key: 'true', name: 'Oui' }, { key: 'false', name: 'Non' }] }),
    ]);
    expect((await get(`services/inconnu.json?api_key=${seed.key}`)).status).toBe(404);
  });

  it('creates a request from form-encoded parameters (key in the body) mapped onto the form, then reads it back open, then closed', async () => {
    const created = await postForm({ ...report, api_key: seed.key });
    expect(created.status).toBe(201);
    const id = created.body[0].service_request_id as string;
    expect(created.body[0].service_notice).toMatch(/^Numéro de suivi : /);
    const [row] = await db.query(`SELECT data, channel FROM demand WHERE id = $1`, [id]);
    expect(row).toEqual({
      channel: 'api',
      data: {
        categorie: 'voirie',
        lieu: { lat: 45.7578, lon: 4.832 },
        repere: 'Devant le 12 rue de la République',
        description: 'Un nid-de-poule profond sur la chaussée.',
        danger: true,
        prenom: 'Dominique',
        email: 'riverain@example.org',
      },
    });

    const one = await get(`requests/${id}.json?api_key=${seed.key}`);
    expect(one.body).toEqual([
      expect.objectContaining({ service_request_id: id, status: 'open', status_notes: 'Demande reçue', service_code: 'voirie', lat: 45.7578, long: 4.832, address: 'Devant le 12 rue de la République' }),
    ]);

    for (const action of ['take', 'accept']) {
      const res = await fetch(`${app.url}/api/v1/demands/${id}/actions/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${seed.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ confirmed: true }),
      });
      expect(res.status).toBe(200);
    }
    const closed = await get(`requests.json?status=closed&service_code=voirie&api_key=${seed.key}`);
    expect(closed.body.map((r: any) => [r.service_request_id, r.status, r.status_notes])).toContainEqual([id, 'closed', 'Acceptée']);
    const open = await get(`requests.json?status=open&api_key=${seed.key}`);
    expect(open.body.map((r: any) => r.service_request_id)).not.toContain(id);
    expect((await get(`requests.json?service_request_id=${id}&api_key=${seed.key}`)).body).toHaveLength(1);
  });

  it('refuses an unknown service and incomplete data with the form’s reasons; nothing stored', async () => {
    const before = (await db.query(`SELECT count(*)::int AS n FROM demand`))[0].n;
    const unknown = await postForm({ ...report, service_code: 'inconnu', api_key: seed.key });
    expect(unknown.status).toBe(422);
    expect(unknown.body[0].description).toMatch(/service_code/);
    const incomplete = await postForm({ service_code: 'voirie', description: 'court', api_key: seed.key });
    expect(incomplete.status).toBe(422);
    expect(incomplete.body[0].description).toMatch(/data\.lieu/);
    expect(incomplete.body[0].description).toMatch(/data\.danger/);
    expect((await db.query(`SELECT count(*)::int AS n FROM demand`))[0].n).toBe(before);
  });

  it('answers in XML too (.xml): services, service definition, POST, list, single request and errors', async () => {
    const services = await getXml(`services.xml?api_key=${seed.key}`);
    expect(services.status).toBe(200);
    expect(services.type).toBe('text/xml; charset=utf-8');
    expect(services.body.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<services><service><service_code>voirie</service_code>')).toBe(true);
    expect(texts(services.body, 'service_code')).toEqual(['voirie', 'eclairage', 'autre']);
    expect(services.body).toContain('<service_name>Voirie (nid-de-poule, trottoir abîmé)</service_name>');
    expect(texts(services.body, 'metadata')).toEqual(['true', 'true', 'true']);
    expect(services.body).toContain('<keywords/>');

    const definition = await getXml(`services/voirie.xml?api_key=${seed.key}`);
    expect(definition.body).toContain(
      '<service_definition><service_code>voirie</service_code><attributes><attribute><variable>true</variable><code>danger</code><datatype>singlevaluelist</datatype><required>true</required><datatype_description/><order>1</order><description>Danger pour les usagers ?</description><values><value><key>true</key><name>Oui</name></value><value><key>false</key><name>Non</name></value></values></attribute></attributes></service_definition>',
    );

    const created = await postXml({ ...report, description: 'Pavé descellé <devant> l’école & la poste.', api_key: seed.key });
    expect(created.status).toBe(201);
    expect(created.type).toBe('text/xml; charset=utf-8');
    const [id] = texts(created.body, 'service_request_id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<service_requests><request><service_request_id>[0-9a-f-]{36}<\/service_request_id><service_notice>Numéro de suivi : [A-Z0-9-]+<\/service_notice><account_id\/><\/request><\/service_requests>\n$/);

    const one = await getXml(`requests/${id}.xml?api_key=${seed.key}`);
    expect(one.status).toBe(200);
    expect(texts(one.body, 'status')).toEqual(['open']);
    expect(texts(one.body, 'description')).toEqual(['Pavé descellé &lt;devant&gt; l’école &amp; la poste.']);
    expect(texts(one.body, 'lat')).toEqual(['45.7578']);
    expect(one.body).toContain('<expected_datetime/>');
    const list = await getXml(`requests.xml?service_request_id=${id}&api_key=${seed.key}`);
    expect(list.body.match(/<request>/g)).toHaveLength(1);
    expect(texts(list.body, 'service_request_id')).toEqual([id]);

    const missing = await getXml(`requests/00000000-0000-4000-8000-000000000000.xml?api_key=${seed.key}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<errors><error><code>404</code><description>Demande introuvable.</description></error></errors>\n');
    const unauthorised = await getXml('services.xml?api_key=pvk_faux');
    expect(unauthorised.status).toBe(401);
    expect(texts(unauthorised.body, 'code')).toEqual(['401']);
    const invalid = await postXml({ service_code: 'voirie', description: 'court', api_key: seed.key });
    expect(invalid.status).toBe(422);
    expect(texts(invalid.body, 'description')[0]).toMatch(/data\.lieu/);
    expect((await get(`services.csv?api_key=${seed.key}`)).status).toBe(404);
  });

  it('jurisdiction_id: the key’s collectivity by slug or INSEE code; unknown → 404, another’s → 403, in the Open311 shape', async () => {
    expect((await get(`services.json?jurisdiction_id=metropole-de-lyon&api_key=${seed.key}`)).status).toBe(200);
    const unknown = await get(`services.json?jurisdiction_id=atlantide&api_key=${seed.key}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual([{ code: 404, description: 'Juridiction « atlantide » inconnue ici.' }]);
    const unknownXml = await getXml(`requests.xml?jurisdiction_id=atlantide&api_key=${seed.key}`);
    expect(unknownXml.status).toBe(404);
    expect(texts(unknownXml.body, 'code')).toEqual(['404']);
    // A collectivity that serves no anomaly report is not a jurisdiction of this endpoint.
    expect((await get(`services.json?jurisdiction_id=69091&api_key=${seed.key}`)).status).toBe(404);
    const before = (await db.query(`SELECT count(*)::int AS n FROM demand`))[0].n;
    const refused = await postForm({ ...report, jurisdiction_id: 'atlantide', api_key: seed.key });
    expect(refused.status).toBe(404);
    expect((await db.query(`SELECT count(*)::int AS n FROM demand`))[0].n).toBe(before);
  });

  it('requires jurisdiction_id once two collectivities serve a report, and keeps each key to its own', async () => {
    // Givors publishes its own anomaly report: the endpoint now serves two jurisdictions.
    const [{ id: instanceId }] = await db.query(`SELECT id FROM instance WHERE collectivity_id = $1 LIMIT 1`, [seed.givorsId]);
    const givorsReport = await new TeleserviceRepository(db.manager).create({
      instanceId,
      collectivityId: seed.givorsId,
      slug: 'signalement-anomalie',
      kind: 'communal',
      title: 'Signaler une anomalie à Givors',
      summary: 'Voirie, éclairage',
      now: new Date(),
    });
    await seed.publish(givorsReport, ANOMALY, TEST_WORKFLOW);

    const without = await get(`services.json?api_key=${seed.key}`);
    expect(without.status).toBe(422);
    expect(without.body[0].description).toMatch(/jurisdiction_id/);
    const withoutXml = await getXml(`services.xml?api_key=${seed.givorsKey}`);
    expect(withoutXml.status).toBe(422);
    expect(texts(withoutXml.body, 'code')).toEqual(['422']);

    const givors = await get(`services.json?jurisdiction_id=69091&api_key=${seed.givorsKey}`);
    expect(givors.status).toBe(200);
    expect(givors.body[0].group).toBe('Signaler une anomalie à Givors');
    expect((await get(`services.json?jurisdiction_id=givors&api_key=${seed.givorsKey}`)).status).toBe(200);
    const metropolis = await get(`services.json?jurisdiction_id=metropole-de-lyon&api_key=${seed.key}`);
    expect(metropolis.body[0].group).toBe('Signaler une anomalie sur l’espace public');

    const other = await get(`requests.json?jurisdiction_id=givors&api_key=${seed.key}`);
    expect(other.status).toBe(403);
    expect(other.body).toEqual([{ code: 403, description: expect.stringMatching(/givors/) }]);

    const created = await postForm({ ...report, jurisdiction_id: 'givors', api_key: seed.givorsKey });
    expect(created.status).toBe(201);
    const [row] = await db.query(`SELECT collectivity_id, teleservice_id FROM demand WHERE id = $1`, [created.body[0].service_request_id]);
    expect(row).toEqual({ collectivity_id: seed.givorsId, teleservice_id: givorsReport.id });
  });
});
