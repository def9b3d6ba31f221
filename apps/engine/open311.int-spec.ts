import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { DemandEngine } from '#demands';
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
});
