import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { DataSourceOptions } from '#demands';
import { TeleserviceRepository } from '#teleservices';
import { startTestApp, type TestApp } from '#testing';
import { engineApp } from './engine.app.js';
import { seedEngine, T0, TEST_WORKFLOW, type EngineSeed } from './engine-test-fixture.js';

describe('submission with data sources: a JSON URL fetched server-side, the collectivities (PostgreSQL, local HTTP source)', () => {
  let app: TestApp;
  let db: DataSource;
  let seed: EngineSeed;
  let storageDir: string;
  let source: Server;
  let sourceUp = true;

  const submit = async (data: Record<string, unknown>) => {
    const res = await fetch(`${app.url}/api/v1/teleservices/choix-ecole/demands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seed.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data }),
    });
    return { status: res.status, body: (await res.json()) as { code?: string; fields?: { path: string; code: string }[]; demand?: { id: string } } };
  };

  beforeAll(async () => {
    source = createServer((_req, res) => {
      if (!sourceUp) {
        res.writeHead(503);
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results: [{ id: 'jaures', libelle: 'École Jean Jaurès' }, { id: 'hugo', libelle: 'École Victor Hugo' }] }));
    });
    await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(source.address() as AddressInfo).port}/ecoles`;
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-ds-'));
    app = await startTestApp(engineApp, { env: { STORAGE_DIR: storageDir, OUTBOUND_PRIVATE_HOSTS: '127.0.0.1' } });
    db = app.app.get(DataSource);
    seed = await seedEngine(db);
    const teleservices = new TeleserviceRepository(db.manager);
    const teleservice = await teleservices.create({
      instanceId: seed.simple.instanceId,
      collectivityId: seed.metropolisId,
      slug: 'choix-ecole',
      kind: 'metropolitan',
      title: 'Choix d’école',
      summary: 'Source de données distante',
      anonymousAllowed: false,
      now: T0,
    });
    const form = {
      schemaVersion: 1,
      title: 'Choix d’école',
      pages: [
        {
          id: 'p',
          title: 'École',
          fields: [
            { id: 'ecole', type: 'data_source', label: 'École', required: true, source: { kind: 'url', url, itemsPath: 'results', valuePath: 'id', labelPath: 'libelle', cacheSeconds: 0 } },
            { id: 'commune', type: 'data_source', label: 'Collectivité', required: true, source: { kind: 'collectivities' } },
          ],
        },
      ],
    };
    const dataSources = [{ id: 'ecoles', label: 'Écoles', source: form.pages[0].fields[0].source }];
    await teleservices.createDraft(seed.metropolisId, teleservice.id, T0, { form, workflow: TEST_WORKFLOW, dataSources });
    await teleservices.publish(seed.metropolisId, teleservice.id, { publishedBy: 'system', now: T0 });
  });

  afterAll(async () => {
    await app?.close();
    source.closeAllConnections();
    await new Promise((resolve) => source.close(resolve));
    await rm(storageDir, { recursive: true, force: true });
  });

  it('accepts an option of the URL source and a collectivity slug; refuses values outside them with field paths', async () => {
    const ok = await submit({ ecole: 'hugo', commune: 'givors' });
    expect(ok.status).toBe(201);
    const [row] = await db.query(`SELECT data FROM demand WHERE id = $1`, [ok.body.demand!.id]);
    expect(row.data).toEqual({ ecole: 'hugo', commune: 'givors' });

    const refused = await submit({ ecole: 'inconnue', commune: 'paris' });
    expect(refused.status).toBe(422);
    expect(refused.body.fields!.map((f) => f.path).sort()).toEqual(['data.commune', 'data.ecole']);
  });

  it('serves the last good list while the source is down; without any copy the field is reported unavailable, nothing stored', async () => {
    sourceUp = false;
    try {
      // cacheSeconds 0: asked again, down, the copy fetched above is served.
      expect((await submit({ ecole: 'jaures', commune: 'bron' })).status).toBe(201);
      app.app.get(DataSourceOptions).clear();
      const before = await db.query(`SELECT count(*)::int AS n FROM demand`);
      const refused = await submit({ ecole: 'jaures', commune: 'bron' });
      expect(refused.status).toBe(422);
      expect(refused.body.fields).toEqual([expect.objectContaining({ path: 'data.ecole', code: 'SOURCE_UNAVAILABLE' })]);
      expect(await db.query(`SELECT count(*)::int AS n FROM demand`)).toEqual(before);
    } finally {
      sourceUp = true;
    }
  });
});
