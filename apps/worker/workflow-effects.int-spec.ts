import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { createLogger, ManualClock } from '#core';
import { WorkflowAnonymiseJob, WorkflowWebserviceJob } from '#demands';
import { TeleserviceRepository } from '#teleservices';
import { startTestApp, type TestApp } from '#testing';
import { engineApp } from '../engine/engine.app.js';
import { PNG_BYTES, seedEngine, T0, type EngineSeed } from '../engine/engine-test-fixture.js';
import { workerApp } from './worker.app.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Délai dépassé : ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const FORM = {
  schemaVersion: 1,
  title: 'Effets de workflow',
  pages: [
    {
      id: 'p',
      title: 'Demande',
      fields: [
        { id: 'nom', type: 'text', label: 'Nom', required: true, personalData: true },
        { id: 'courriel', type: 'email', label: 'Courriel', required: true, personalData: true },
        { id: 'quartier', type: 'text', label: 'Quartier', required: true },
        { id: 'piece_identite', type: 'file', label: 'Pièce d’identité', personalData: true, maxFiles: 1, accept: ['image/*'] },
        { id: 'photo', type: 'file', label: 'Photo du lieu', maxFiles: 1, accept: ['image/*'] },
      ],
    },
  ],
};

const status = (id: string, actions: unknown[], final = false) => ({ id, label: `Statut ${id}`, colour: '#1F5FAD', visibility: 'citizen', final, actions });
const button = (id: string, target: string) => ({ id, kind: 'button', label: id, target, functions: ['receiver'] });

function workflow(ws: string) {
  return {
    schemaVersion: 1,
    initialStatus: 'received',
    functions: [{ id: 'receiver', label: 'Agent' }],
    statuses: [
      status('received', [
        button('call', 'calling'),
        button('call-broken', 'calling-broken'),
        button('call-private', 'calling-private'),
        button('anon', 'anonymised'),
        button('child', 'spawning'),
        button('doc', 'documented'),
        button('del', 'deleting'),
      ]),
      status('calling', [
        {
          id: 'ws',
          kind: 'webservice',
          url: `${ws}/dossiers?code={{urlencode demand.trackingCode}}`,
          method: 'POST',
          headers: { authorization: 'Bearer secret-du-partenaire' },
          body: '{"nom": {{json form.nom}}, "quartier": {{json form.quartier}} }',
          timeoutSeconds: 2,
          storeResponseAs: 'dossier',
          onSuccess: 'called',
          onFailure: 'failed',
        },
      ]),
      status('calling-broken', [
        { id: 'ws-broken', kind: 'webservice', url: `${ws}/panne`, method: 'GET', retries: 2, timeoutSeconds: 1, onSuccess: 'called', onFailure: 'failed' },
      ]),
      status('calling-private', [{ id: 'ws-private', kind: 'webservice', url: 'http://169.254.169.254/latest/meta-data', method: 'GET', onFailure: 'failed' }]),
      status('called', [{ id: 'note', kind: 'comment', visibility: 'internal', text: 'Dossier partenaire {{webservice.dossier.numero}}' }], true),
      status('failed', [], true),
      status('anonymised', [{ id: 'erase', kind: 'anonymise' }], true),
      status('spawning', [
        {
          id: 'spawn',
          kind: 'create_child_demand',
          teleservice: 'demande-simple',
          mapping: { nom: '{{form.nom}}', courriel: '{{form.courriel}}', motif: 'autre', precision: 'Suite de la demande {{demand.trackingCode}} ({{form.quartier}})' },
        },
        { id: 'spawn-bad', kind: 'create_child_demand', teleservice: 'demande-simple', mapping: { nom: '{{form.nom}}' } },
      ], true),
      status('documented', [
        { id: 'ack-doc', kind: 'attach_document', documentTemplate: 'accuse-reception', filename: 'accuse-{{demand.trackingCode}}.pdf', visibility: 'citizen' },
        { id: 'unknown-doc', kind: 'attach_document', documentTemplate: 'modele-inexistant', filename: 'x.pdf', visibility: 'internal' },
      ], true),
      status('deleting', [{ id: 'purge', kind: 'delete', delay: 'P1D' }], true),
    ],
  };
}

describe('workflow effects run by the worker: webservice, anonymise, delete, child demand, document (PostgreSQL, Redis, BullMQ, local HTTP)', () => {
  let engine: TestApp;
  let worker: TestApp;
  let db: DataSource;
  let seed: EngineSeed;
  let storageDir: string;
  let partner: Server;
  const received: { path: string; body: string; authorization?: string }[] = [];
  let brokenHits = 0;
  const workerClock = new ManualClock(T0);
  const context = (job: string) => ({ job, key: 'test', attempt: 1, maxAttempts: 1, correlationId: 'test', logger: createLogger({ level: 'silent', app: 'worker' }) }) as any;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${engine.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${seed.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: type.includes('json') ? ((await res.json()) as Record<string, any>) : null, bytes: type.includes('json') ? null : Buffer.from(await res.arrayBuffer()) };
  };
  const submit = async () => {
    const res = await api('POST', '/api/v1/teleservices/effets/demands', {
      data: { nom: 'Camille Martin', courriel: 'camille@example.org', quartier: 'Centre' },
      files: { piece_identite: [{ name: 'cni.png', contentBase64: PNG_BYTES.toString('base64') }], photo: [{ name: 'lieu.png', contentBase64: Buffer.concat([PNG_BYTES, Buffer.from('photo')]).toString('base64') }] },
    });
    expect(res.status).toBe(201);
    return res.body!.demand as { id: string; trackingCode: string };
  };
  const press = async (id: string, action: string) => expect((await api('POST', `/api/v1/demands/${id}/actions/${action}`)).status).toBe(200);
  const eventsOf = (id: string) => db.query(`SELECT id, kind, visibility, payload FROM demand_event WHERE demand_id = $1 ORDER BY id`, [id]);
  const statusOf = async (id: string) => (await db.query(`SELECT status FROM demand WHERE id = $1`, [id]))[0]?.status as string | undefined;
  const storedFiles = async (): Promise<number> => {
    let count = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) await walk(join(dir, entry.name));
        else count++;
      }
    };
    await walk(storageDir);
    return count;
  };

  beforeAll(async () => {
    partner = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        if (req.url === '/panne') {
          brokenHits++;
          res.writeHead(503);
          return res.end();
        }
        received.push({ path: req.url ?? '', body, authorization: req.headers.authorization });
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ numero: 'P-2026-0042', etat: 'ouvert' }));
      });
    });
    await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve));
    const ws = `http://127.0.0.1:${(partner.address() as AddressInfo).port}`;
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-effects-'));
    const env = { STORAGE_DIR: storageDir, OUTBOUND_PRIVATE_HOSTS: '127.0.0.1', OUTBOX_POLL_MS: '50' };
    engine = await startTestApp(engineApp, { env });
    db = engine.app.get(DataSource);
    seed = await seedEngine(db);
    const teleservices = new TeleserviceRepository(db.manager);
    const effets = await teleservices.create({
      instanceId: seed.simple.instanceId,
      collectivityId: seed.metropolisId,
      slug: 'effets',
      kind: 'metropolitan',
      title: 'Effets de workflow',
      summary: 'Tests des effets',
      anonymousAllowed: false,
      now: T0,
    });
    await seed.publish(effets, FORM, workflow(ws));
    worker = await startTestApp(workerApp, { database: engine.database, clock: workerClock, env });
  });

  afterAll(async () => {
    await worker?.close();
    await engine?.close();
    partner.closeAllConnections();
    await new Promise((resolve) => partner.close(resolve));
    await rm(storageDir, { recursive: true, force: true });
  });

  it('calls the webservice with the rendered request, stores the JSON response, jumps on success, and a replay calls nothing', async () => {
    const demand = await submit();
    await press(demand.id, 'call');
    await until(async () => (await statusOf(demand.id)) === 'called', 'saut onSuccess');
    expect(received).toHaveLength(1);
    expect(received[0]).toEqual({ path: `/dossiers?code=${demand.trackingCode}`, body: '{"nom": "Camille Martin", "quartier": "Centre" }', authorization: 'Bearer secret-du-partenaire' });
    const [row] = await db.query(`SELECT backoffice_data FROM demand WHERE id = $1`, [demand.id]);
    expect(row.backoffice_data.webservice).toEqual({ dossier: { numero: 'P-2026-0042', etat: 'ouvert' } });
    const events = await eventsOf(demand.id);
    const called = events.find((e: any) => e.kind === 'webservice_called');
    expect(called).toMatchObject({ visibility: 'internal', payload: { actionId: 'ws', ok: true, httpStatus: 201, attempts: 1, storedAs: 'dossier' } });
    expect(JSON.stringify(called.payload)).not.toContain('code=');
    // The stored response feeds later templates.
    expect(events.find((e: any) => e.kind === 'comment')?.payload.text).toBe('Dossier partenaire P-2026-0042');

    const outbox = await db.query(`SELECT payload FROM outbox_message WHERE job_name = 'workflow.webservice' AND payload->>'demandId' = $1`, [demand.id]);
    await worker.app.get(WorkflowWebserviceJob).handle(outbox[0].payload, context('workflow.webservice'));
    expect(received).toHaveLength(1);
    expect((await eventsOf(demand.id)).length).toBe(events.length);
  });

  it('retries a failing webservice, then jumps through onFailure; a private address is refused without any request', async () => {
    const demand = await submit();
    await press(demand.id, 'call-broken');
    await until(async () => (await statusOf(demand.id)) === 'failed', 'saut onFailure', 20_000);
    expect(brokenHits).toBe(3);
    expect((await eventsOf(demand.id)).find((e: any) => e.kind === 'webservice_called').payload).toMatchObject({ ok: false, httpStatus: 503, attempts: 3, reason: 'HTTP 503' });

    const other = await submit();
    await press(other.id, 'call-private');
    await until(async () => (await statusOf(other.id)) === 'failed', 'adresse privée refusée');
    expect((await eventsOf(other.id)).find((e: any) => e.kind === 'webservice_called').payload).toMatchObject({ ok: false, attempts: 1, reason: 'refused_host' });
  });

  it('anonymises: personal fields and their files erased, the rest kept for statistics; replaying changes nothing', async () => {
    const demand = await submit();
    const filesBefore = await storedFiles();
    await press(demand.id, 'anon');
    const row = await until(async () => {
      const [found] = await db.query(`SELECT data, anonymised_at, status, teleservice_id FROM demand WHERE id = $1`, [demand.id]);
      return found.anonymised_at ? found : null;
    }, 'anonymisation');
    expect(Object.keys(row.data).sort()).toEqual(['photo', 'quartier']);
    expect(row.status).toBe('anonymised');
    const attachments = await db.query(`SELECT field_id FROM attachment WHERE demand_id = $1`, [demand.id]);
    expect(attachments).toEqual([{ field_id: 'photo' }]);
    expect(await storedFiles()).toBe(filesBefore - 1);
    const event = (await eventsOf(demand.id)).find((e: any) => e.kind === 'anonymised');
    expect(event.payload).toMatchObject({ actionId: 'erase', fields: 3, files: 1 });

    const [job] = await db.query(`SELECT payload FROM outbox_message WHERE job_name = 'workflow.anonymise' AND payload->>'demandId' = $1`, [demand.id]);
    const count = (await eventsOf(demand.id)).length;
    await worker.app.get(WorkflowAnonymiseJob).handle(job.payload, context('workflow.anonymise'));
    expect((await eventsOf(demand.id)).length).toBe(count);
  });

  it('creates a child demand on another téléservice of the collectivity with the mapped data, linked both ways; an invalid mapping is recorded', async () => {
    const demand = await submit();
    await press(demand.id, 'child');
    const link = await until(async () => (await eventsOf(demand.id)).find((e: any) => e.kind === 'child_demand_created'), 'demande fille');
    expect(link.payload).toMatchObject({ actionId: 'spawn', teleservice: 'demande-simple' });
    const [child] = await db.query(`SELECT d.data, d.status, t.slug FROM demand d JOIN teleservice t ON t.id = d.teleservice_id WHERE d.id = $1`, [link.payload.childDemandId]);
    expect(child).toEqual({
      slug: 'demande-simple',
      status: 'received',
      data: { nom: 'Camille Martin', courriel: 'camille@example.org', motif: 'autre', precision: `Suite de la demande ${demand.trackingCode} (Centre)` },
    });
    const submitted = (await eventsOf(link.payload.childDemandId)).find((e: any) => e.kind === 'submitted');
    expect(submitted.payload.parentDemandId).toBe(demand.id);
    // The child is read like any demand of the collectivity.
    expect((await api('GET', `/api/v1/demands/${link.payload.childDemandId}`)).status).toBe(200);

    const failed = await until(async () => (await eventsOf(demand.id)).find((e: any) => e.kind === 'child_demand_failed'), 'demande fille refusée');
    expect(failed.payload).toMatchObject({ actionId: 'spawn-bad', code: 'DEMAND_DATA_INVALID' });
    expect(failed.payload.text).toMatch(/data\.courriel/);
    expect(await db.query(`SELECT count(*)::int AS n FROM demand_event WHERE kind = 'submitted' AND payload->>'parentDemandId' = $1`, [demand.id])).toEqual([{ n: 1 }]);
  });

  it('renders a document model to a PDF attached to a citizen-visible message; an unknown model is recorded', async () => {
    const demand = await submit();
    await press(demand.id, 'doc');
    const generated = await until(async () => (await eventsOf(demand.id)).find((e: any) => e.kind === 'document_generated'), 'document joint');
    expect(generated).toMatchObject({ visibility: 'citizen', payload: { fileName: `accuse-${demand.trackingCode}.pdf` } });
    const messages = await api('GET', `/api/v1/demands/${demand.id}/messages`);
    const message = messages.body!.items.find((m: any) => m.attachments?.length);
    expect(message).toMatchObject({ visibility: 'citizen', body: `Document joint : accuse-${demand.trackingCode}.pdf` });
    const file = await api('GET', message.attachments[0].href);
    expect(file.status).toBe(200);
    const pdf = file.bytes!.toString('latin1');
    expect(pdf.startsWith('%PDF-1.4')).toBe(true);
    expect(pdf).toContain('(Accus\\351 de r\\351ception)');
    expect(pdf).toContain(demand.trackingCode);
    expect(pdf.trimEnd().endsWith('%%EOF')).toBe(true);
    const failed = await until(async () => (await eventsOf(demand.id)).find((e: any) => e.kind === 'document_failed'), 'modèle inconnu');
    expect(failed).toMatchObject({ visibility: 'internal', payload: { actionId: 'unknown-doc' } });
  });

  it('deletes the demand, its history and its files at the date the workflow set', async () => {
    const demand = await submit();
    const filesBefore = await storedFiles();
    await press(demand.id, 'del');
    await until(async () => (await eventsOf(demand.id)).find((e: any) => e.kind === 'deletion_scheduled'), 'suppression planifiée');
    expect(await statusOf(demand.id)).toBe('deleting');
    workerClock.advance(25 * 3600_000);
    await until(async () => (await statusOf(demand.id)) === undefined, 'demande supprimée');
    expect(await db.query(`SELECT count(*)::int AS n FROM demand_event WHERE demand_id = $1`, [demand.id])).toEqual([{ n: 0 }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM attachment WHERE demand_id = $1`, [demand.id])).toEqual([{ n: 0 }]);
    expect(await storedFiles()).toBe(filesBefore - 2);
    expect((await api('GET', `/api/v1/demands/${demand.id}`)).status).toBe(404);
  });
});
