import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource as DataSourceType } from 'typeorm';
import { DataSource } from 'typeorm';
import { ManualClock, startTestApp, type TestApp } from '#testing';
import { engineApp } from './engine.app.js';
import { PNG_BYTES, seedEngine, TEST_FORM, TEST_WORKFLOW, type EngineSeed } from './engine-test-fixture.js';
import { DemandEngine } from '#demands';
import { ApiKeyRepository } from '#teleservices';
import type { Response } from 'express';
import { APP_CONFIG, Clock, LOGGER } from '#core';
import { REDIS } from '#platform';
import { ApiKeyGuard, ApiRateLimiter } from './api-caller.js';

interface Reply {
  status: number;
  body: Record<string, unknown> & { code?: string; message?: string; fields?: { path: string; code: string }[] };
  headers: Headers;
  raw: Buffer;
}

describe('engine API /api/v1 (PostgreSQL, Redis, local storage)', () => {
  let app: TestApp;
  let db: DataSourceType;
  let seed: EngineSeed;
  let storageDir: string;

  const call = async (method: string, path: string, options: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? seed.key : options.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let body: string | undefined;
    if (options.raw !== undefined) {
      body = options.raw;
      headers['content-type'] ??= 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${app.url}${path}`, { method, headers, body });
    const raw = Buffer.from(await res.arrayBuffer());
    let parsed: Reply['body'] = {};
    if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(raw.toString('utf8'));
    return { status: res.status, body: parsed, headers: res.headers, raw };
  };

  /** The submission path reuses the catalogue for a couple of seconds: tests that change it say so. */
  const catalogueChanged = () => app.app.get(DemandEngine).forgetCatalogue();
  const validData = (extra: Record<string, unknown> = {}) => ({ nom: 'Camille Martin', courriel: 'camille@example.org', motif: 'bruit', ...extra });
  const submit = (data: unknown, extra: Record<string, unknown> = {}, key?: string) =>
    call('POST', '/api/v1/teleservices/demande-simple/demands', { body: { data, ...extra }, key });
  const counts = async () => {
    const [row] = await db.query(
      `SELECT (SELECT count(*) FROM demand)::int AS demands, (SELECT count(*) FROM demand_event)::int AS events,
              (SELECT count(*) FROM attachment)::int AS attachments, (SELECT count(*) FROM outbox_message)::int AS outbox`,
    );
    return row as { demands: number; events: number; attachments: number; outbox: number };
  };
  const storedFiles = async (): Promise<string[]> => {
    const out: string[] = [];
    const walk = async (dir: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (entry.isDirectory()) await walk(join(dir, entry.name));
        else out.push(join(dir, entry.name));
      }
    };
    await walk(storageDir);
    return out;
  };

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-engine-'));
    app = await startTestApp(engineApp, { env: { STORAGE_DIR: storageDir } });
    db = app.app.get(DataSource);
    seed = await seedEngine(db);
  });

  afterAll(async () => {
    await app?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  describe('authentication', () => {
    it('refuses a missing, malformed, unknown or revoked key with the same 401 API_KEY_INVALID in French', async () => {
      const forged = seed.key.slice(0, -4) + 'AAAA';
      for (const key of [null, 'pvk_nope', forged, seed.revokedKey]) {
        const reply = await call('GET', '/api/v1/teleservices', { key });
        expect(reply.status).toBe(401);
        expect(reply.body).toEqual({ code: 'API_KEY_INVALID', message: "Clé d'API invalide ou révoquée." });
      }
    });

    it('stops accepting a revoked key within the verification cache delay', async () => {
      const guard = app.app.get(ApiKeyGuard);
      const previous = guard.verifiedTtlMs;
      guard.verifiedTtlMs = 100;
      try {
        const keys = new ApiKeyRepository(db.manager);
        const created = await keys.create(seed.metropolisId, 'Éphémère', ['teleservices:read'], new Date());
        expect((await call('GET', '/api/v1/teleservices', { key: created.key })).status).toBe(200);
        await keys.revoke(seed.metropolisId, created.info.id, new Date());
        await new Promise((resolve) => setTimeout(resolve, 150));
        const reply = await call('GET', '/api/v1/teleservices', { key: created.key });
        expect(reply.status).toBe(401);
        expect(reply.body.code).toBe('API_KEY_INVALID');
      } finally {
        guard.verifiedTtlMs = previous;
      }
    });

    it('refuses writes to a key without demands:write (403) and stores nothing', async () => {
      const before = await counts();
      const reply = await submit(validData(), {}, seed.readOnlyKey);
      expect(reply.status).toBe(403);
      expect(reply.body.code).toBe('ACCESS_DENIED');
      expect(await counts()).toEqual(before);
    });

    it('rate-limits per key with a Redis counter: 429 API_RATE_LIMITED and Retry-After', async () => {
      const limiter = app.app.get(ApiRateLimiter);
      const previous = limiter.perMinute;
      limiter.perMinute = 2;
      try {
        const replies = [];
        for (let i = 0; i < 3; i++) replies.push(await call('GET', '/api/v1/teleservices', { key: seed.givorsKey }));
        expect(replies.map((r) => r.status)).toEqual([200, 200, 429]);
        expect(replies[2].body.code).toBe('API_RATE_LIMITED');
        expect(Number(replies[2].headers.get('retry-after'))).toBeGreaterThan(0);
      } finally {
        limiter.perMinute = previous;
      }
    });
    it('sends the count to Redis in batches: one command for many requests, the shared total exact', async () => {
      const limiter = app.app.get(ApiRateLimiter);
      const { info } = await new ApiKeyRepository(db.manager).create(seed.metropolisId, 'Débit groupé', ['teleservices:read'], new Date());
      const redis = app.app.get(REDIS);
      const res = { setHeader: () => undefined } as unknown as Response;
      // The script is loaded in Redis first (a first EVALSHA would be answered NOSCRIPT and sent again as EVAL).
      limiter.hit(randomUUID(), res);
      await limiter.flush();
      const commands: string[] = [];
      const monitor = await redis.monitor();
      monitor.on('monitor', (_time: string, args: string[]) => commands.push(args.join(' ')));
      try {
        for (let i = 0; i < 25; i++) limiter.hit(info.id, res);
        await limiter.flush();
        const minute = Math.floor(app.app.get(Clock).now().getTime() / 60_000);
        const key = `${app.app.get(APP_CONFIG).redis.prefix}:engine:rate:${info.id}:${minute}`;
        expect(await redis.get(key)).toBe('25');
        expect(await redis.pttl(key)).toBeGreaterThan(60_000);
        await redis.ping();
        // One script call (INCRBY 25, then PEXPIRE), not 25 commands.
        const sent = commands.filter((c) => c.includes(info.id) && /^(evalsha|eval) /i.test(c));
        expect(sent).toEqual([expect.stringMatching(/ 25 120000$/)]);
      } finally {
        monitor.disconnect();
      }
    });
    it('counts the requests still in flight, and shares the count with other engine processes through Redis', async () => {
      const limiter = app.app.get(ApiRateLimiter);
      const previous = limiter.perMinute;
      limiter.perMinute = 3;
      try {
        const { key, info } = await new ApiKeyRepository(db.manager).create(seed.metropolisId, 'Débit en parallèle', ['teleservices:read'], new Date());
        const replies = await Promise.all(Array.from({ length: 5 }, () => call('GET', '/api/v1/teleservices', { key })));
        expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429]);
        // Another engine process (its own limiter, the same Redis): it learns the shared count from its first reply.
        const keyId = info.id;
        const other = new ApiRateLimiter(app.app.get(REDIS), app.app.get(APP_CONFIG), app.app.get(Clock), app.app.get(LOGGER));
        other.perMinute = 7;
        const headers = new Map<string, string>();
        const res = { setHeader: (name: string, value: string) => headers.set(name, value) } as unknown as Response;
        other.hit(keyId, res);
        // Counts travel in batches (every flushMs): once both processes' batches are answered, the shared count is known.
        await limiter.flush();
        await new Promise((resolve) => setTimeout(resolve, other.flushMs * 3));
        expect(() => other.hit(keyId, res)).not.toThrow();
        expect(headers.get('RateLimit-Remaining')).toBe('0');
        expect(() => other.hit(keyId, res)).toThrow(expect.objectContaining({ code: 'API_RATE_LIMITED' }));
      } finally {
        limiter.perMinute = previous;
      }
    });
  });

  describe('téléservices', () => {
    it('lists the collectivity’s téléservices with cursor pagination, and only theirs', async () => {
      const first = await call('GET', '/api/v1/teleservices?limit=1');
      expect(first.status).toBe(200);
      expect((first.body.items as unknown[]).length).toBe(1);
      const second = await call('GET', `/api/v1/teleservices?limit=1&cursor=${first.body.nextCursor as string}`);
      const slugs = [...(first.body.items as { slug: string }[]), ...(second.body.items as { slug: string }[])].map((t) => t.slug).sort();
      expect(slugs).toEqual(['demande-simple', 'signalement-anomalie']);
      expect(second.body.nextCursor).toBeNull();
      const givors = await call('GET', '/api/v1/teleservices', { key: seed.givorsKey });
      expect(givors.body.items).toEqual([]);
      expect((await call('GET', '/api/v1/teleservices/demande-simple', { key: seed.givorsKey })).status).toBe(404);
    });

    it('gives a téléservice with the definition of its latest published version, and its versions', async () => {
      const reply = await call('GET', '/api/v1/teleservices/demande-simple');
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ slug: 'demande-simple', latestVersion: { id: seed.simpleV1.id, number: 1, definition: { form: TEST_FORM, workflow: TEST_WORKFLOW } } });
      const versions = await call('GET', '/api/v1/teleservices/demande-simple/versions');
      expect(versions.body.items).toEqual([expect.objectContaining({ id: seed.simpleV1.id, number: 1, state: 'published' })]);
    });
  });

  describe('submission', () => {
    it('stores a valid demand with a file typed by content (PNG named .pdf), its history, and a mail.send outbox row with a deterministic key', async () => {
      const before = await counts();
      const reply = await submit(validData({ date_faits: '2026-01-10' }), {
        files: { justificatif: [{ name: '../../etc/facture.pdf', contentBase64: PNG_BYTES.toString('base64') }] },
      });
      expect(reply.status).toBe(201);
      const demand = reply.body.demand as { id: string; trackingCode: string; status: { id: string; citizenLabel: string }; channel: string; versionId: string; data: Record<string, unknown> };
      expect(reply.headers.get('location')).toBe(`/api/v1/demands/${demand.id}`);
      expect(demand).toMatchObject({ channel: 'api', versionId: seed.simpleV1.id, status: { id: 'received', citizenLabel: 'Demande reçue' } });
      expect(demand.trackingCode).toMatch(/^[2-9A-HJKMNP-Z]{10}$/);
      expect(demand.data.justificatif).toEqual([expect.objectContaining({ name: 'facture.pdf', mimeType: 'image/png', size: PNG_BYTES.length })]);
      expect(reply.body.accessSecret).toBeNull();

      const after = await counts();
      expect(after.demands - before.demands).toBe(1);
      expect(after.attachments - before.attachments).toBe(1);
      const [row] = await db.query(`SELECT collectivity_id, channel, account_sub, submitted_by_agent, workflow_state FROM demand WHERE id = $1`, [demand.id]);
      expect(row).toMatchObject({ collectivity_id: seed.metropolisId, channel: 'api', account_sub: null, submitted_by_agent: null, workflow_state: { statusId: 'received' } });
      const events = await db.query(`SELECT kind, visibility, status_to FROM demand_event WHERE demand_id = $1 ORDER BY id`, [demand.id]);
      expect(events.map((e: { kind: string }) => e.kind)).toEqual(['submitted', 'status_changed', 'citizen_notified', 'effect_deferred']);
      const outbox = await db.query(`SELECT job_name, job_key, payload FROM outbox_message WHERE job_key LIKE $1`, [`%${demand.id}%`]);
      expect(outbox).toEqual([
        {
          job_name: 'mail.send',
          job_key: `mail.send/demand/${demand.id}/1-ack/email`,
          payload: expect.objectContaining({ to: 'camille@example.org', subject: `Votre demande ${demand.trackingCode} a bien été reçue` }),
        },
      ]);
      expect((outbox[0].payload as { text: string }).text).toContain('Métropole de Lyon a bien reçu votre demande.');

      // The file comes back with its detected type, as a download, never sniffed.
      const detail = await call('GET', `/api/v1/demands/${demand.id}`);
      const [attachment] = detail.body.attachments as { href: string; mimeType: string; fileName: string }[];
      expect(attachment).toMatchObject({ mimeType: 'image/png', fileName: 'facture.pdf' });
      const file = await call('GET', attachment.href);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe('image/png');
      expect(file.headers.get('content-disposition')).toBe(`attachment; filename="facture.pdf"; filename*=UTF-8''facture.pdf`);
      expect(file.headers.get('x-content-type-options')).toBe('nosniff');
      expect(file.raw.equals(PNG_BYTES)).toBe(true);
    });

    it('refuses invalid data with 422 and every field path, and stores nothing — not even the valid file sent along', async () => {
      const before = await counts();
      const filesBefore = await storedFiles();
      const reply = await submit(
        { courriel: 'pas-une-adresse', motif: 'autre', date_faits: '2026-01-16', inconnu: 1 },
        { files: { justificatif: [{ name: 'a.png', contentBase64: PNG_BYTES.toString('base64') }] } },
      );
      expect(reply.status).toBe(422);
      expect(reply.body.code).toBe('DEMAND_DATA_INVALID');
      expect(reply.body.fields!.map((f) => f.path).sort()).toEqual(['data.courriel', 'data.date_faits', 'data.inconnu', 'data.nom', 'data.precision']);
      expect(await counts()).toEqual(before);
      expect(await storedFiles()).toEqual(filesBefore);
    });

    it('refuses an over-size file (field limit) and a refused type with their paths, keeping no file', async () => {
      const before = await counts();
      const filesBefore = await storedFiles();
      const big = Buffer.concat([PNG_BYTES, Buffer.alloc(4096)]);
      const reply = await submit(validData(), { files: { justificatif: [{ name: 'grand.png', contentBase64: big.toString('base64') }] } });
      expect(reply.status).toBe(422);
      expect(reply.body.fields).toEqual([expect.objectContaining({ path: 'data.justificatif[0]', code: 'FILE_TOO_LARGE' })]);
      const text = await submit(validData(), { files: { justificatif: [{ name: 'note.pdf', contentBase64: Buffer.from('juste du texte').toString('base64') }] } });
      expect(text.status).toBe(422);
      expect(text.body.fields).toEqual([expect.objectContaining({ path: 'data.justificatif[0]', code: 'FILE_TYPE_REFUSED' })]);
      expect(await counts()).toEqual(before);
      expect(await storedFiles()).toEqual(filesBefore);
    });

    it('refuses file descriptors forged in data (only uploaded files become descriptors)', async () => {
      const reply = await submit(validData({ justificatif: [{ name: 'x.pdf', size: 3, mimeType: 'application/pdf', ref: '2026/01/00000000-0000-4000-8000-000000000000' }] }));
      expect(reply.status).toBe(422);
      expect(reply.body.fields).toEqual([expect.objectContaining({ path: 'data.justificatif', code: 'FILE_EXPECTED' })]);
    });

    it('clears hidden fields: a precision sent while the motif does not call for it is not stored', async () => {
      const reply = await submit(validData({ precision: 'ne devrait pas rester' }));
      expect(reply.status).toBe(201);
      const id = (reply.body.demand as { id: string }).id;
      const [row] = await db.query(`SELECT data FROM demand WHERE id = $1`, [id]);
      expect(row.data).toEqual({ nom: 'Camille Martin', courriel: 'camille@example.org', motif: 'bruit' });
      // What the submission answers is what a read answers, version (ETag) included.
      const read = await call('GET', `/api/v1/demands/${id}`);
      expect(reply.headers.get('etag')).toBe('"1"');
      expect(read.headers.get('etag')).toBe('"1"');
      expect(read.body).toMatchObject(reply.body.demand as Record<string, unknown>);
    });

    it('answers 400 to malformed JSON, 415 to another content type, 422 to a JSON that is not an object, all in the error shape', async () => {
      const malformed = await call('POST', '/api/v1/teleservices/demande-simple/demands', { raw: '{"data": {' });
      expect(malformed.status).toBe(400);
      expect(malformed.body).toEqual({ code: 'BAD_REQUEST', message: "Le contenu envoyé n'est pas un JSON valide." });
      const form = await call('POST', '/api/v1/teleservices/demande-simple/demands', { raw: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(form.status).toBe(415);
      expect(form.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      const array = await call('POST', '/api/v1/teleservices/demande-simple/demands', { raw: '[1,2]' });
      expect(array.status).toBe(422);
      expect(array.body).toMatchObject({ code: 'API_REQUEST_INVALID', fields: [{ path: '', code: 'INVALID_TYPE' }] });
      const unknown = await submit(validData(), { extra: true });
      expect(unknown.status).toBe(422);
      expect(unknown.body.fields).toEqual([expect.objectContaining({ path: 'extra', code: 'UNKNOWN_FIELD' })]);
      const missing = await call('POST', '/api/v1/teleservices/nope/demands', { body: { data: {} } });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ code: 'TELESERVICE_NOT_FOUND', message: 'Téléservice introuvable.' });
    });

    it('refuses a closed or archived téléservice', async () => {
      await db.query(`UPDATE teleservice SET closes_at = $2 WHERE id = $1`, [seed.simple.id, new Date('2026-01-01T00:00:00Z')]);
      catalogueChanged();
      try {
        const closed = await submit(validData());
        expect(closed.status).toBe(409);
        expect(closed.body.code).toBe('TELESERVICE_CLOSED');
      } finally {
        await db.query(`UPDATE teleservice SET closes_at = NULL WHERE id = $1`, [seed.simple.id]);
      catalogueChanged();
      }
      await db.query(`UPDATE teleservice SET archived_at = $2 WHERE id = $1`, [seed.simple.id, new Date('2026-01-01T00:00:00Z')]);
      catalogueChanged();
      try {
        const archived = await submit(validData());
        expect(archived.status).toBe(410);
        expect(archived.body.code).toBe('TELESERVICE_ARCHIVED');
      } finally {
        await db.query(`UPDATE teleservice SET archived_at = NULL WHERE id = $1`, [seed.simple.id]);
      catalogueChanged();
      }
    });

    it('stores a mutualised demand with its owner (the metropolis) and a demand.route job', async () => {
      const reply = await call('POST', '/api/v1/teleservices/signalement-anomalie/demands', {
        body: { data: { lieu: { lat: 45.5905, lon: 4.7695 }, description: 'Nid-de-poule' } },
      });
      expect(reply.status).toBe(201);
      const id = (reply.body.demand as { id: string }).id;
      expect((reply.body.demand as { collectivityId: string }).collectivityId).toBe(seed.metropolisId);
      const jobs = await db.query(`SELECT job_name, job_key, payload FROM outbox_message WHERE job_key LIKE $1 ORDER BY id`, [`%${id}%`]);
      expect(jobs).toContainEqual({ job_name: 'demand.route', job_key: `demand.route/demand/${id}/route`, payload: { demandId: id } });
    });
  });

  describe('reading and tenancy', () => {
    it('reads a demand with its data, citizen status label and history; another collectivity gets 404 for it and its files', async () => {
      const created = await submit(validData(), { files: { justificatif: [{ name: 'p.png', contentBase64: PNG_BYTES.toString('base64') }] } });
      const id = (created.body.demand as { id: string }).id;
      const detail = await call('GET', `/api/v1/demands/${id}`);
      expect(detail.status).toBe(200);
      expect(detail.headers.get('etag')).toBe('"1"');
      expect(detail.body).toMatchObject({ id, status: { id: 'received', citizenLabel: 'Demande reçue' }, data: { nom: 'Camille Martin' } });
      expect((detail.body.history as { kind: string }[]).map((e) => e.kind)).toContain('submitted');
      const href = (detail.body.attachments as { href: string }[])[0].href;

      const other = await call('GET', `/api/v1/demands/${id}`, { key: seed.givorsKey });
      expect(other.status).toBe(404);
      expect(other.body).toEqual({ code: 'DEMAND_NOT_FOUND', message: 'Demande introuvable.' });
      const unknown = await call('GET', `/api/v1/demands/00000000-0000-4000-8000-000000000000`, { key: seed.givorsKey });
      expect(unknown.body).toEqual(other.body);
      const file = await call('GET', href, { key: seed.givorsKey });
      expect(file.status).toBe(404);
      expect(file.body.code).toBe('ATTACHMENT_NOT_FOUND');
      expect((await call('POST', `/api/v1/demands/${id}/actions/take`, { key: seed.givorsKey })).status).toBe(404);
      expect((await call('GET', `/api/v1/demands/${id}/messages`, { key: seed.givorsKey })).status).toBe(404);
      expect((await call('GET', '/api/v1/demands', { key: seed.givorsKey })).body.items).toEqual([]);
      expect((await call('GET', `/api/v1/demands/not-a-uuid`)).status).toBe(404);
    });

    it('lists with filters and cursor pagination', async () => {
      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Reply = await call('GET', `/api/v1/demands?teleservice=demande-simple&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        all.push(...(page.body.items as { id: string }[]).map((d) => d.id));
        cursor = page.body.nextCursor as string | null;
      } while (cursor);
      const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM demand WHERE teleservice_id = $1`, [seed.simple.id]);
      expect(all.length).toBe(count);
      expect(new Set(all).size).toBe(count);
      const none = await call('GET', '/api/v1/demands?status=accepted&submittedFrom=2026-01-01');
      expect(none.body.items).toEqual([]);
      const bad = await call('GET', '/api/v1/demands?limit=0&submittedFrom=hier&colour=red');
      expect(bad.status).toBe(422);
      expect(bad.body.fields!.map((f) => f.path).sort()).toEqual(['colour', 'limit', 'submittedFrom']);
      const badCursor = await call('GET', '/api/v1/demands?cursor=zzz');
      expect(badCursor.status).toBe(422);
      expect(badCursor.body.code).toBe('DEMAND_CURSOR_INVALID');
    });
  });

  describe('acting on demands', () => {
    const newDemand = async () => ((await submit(validData())).body.demand as { id: string }).id;
    const state = async (id: string) =>
      (await db.query(`SELECT status, lock_version, closed_at FROM demand WHERE id = $1`, [id]))[0] as { status: string; lock_version: number; closed_at: Date | null };

    it('applies a button, then refuses what the workflow does not allow, leaving the demand unchanged', async () => {
      const id = await newDemand();
      const taken = await call('POST', `/api/v1/demands/${id}/actions/take`);
      expect(taken.status).toBe(200);
      expect(taken.body.demand).toMatchObject({ status: { id: 'in_progress', citizenLabel: 'En cours d’instruction' }, version: 2 });
      const snapshot = await state(id);
      const events = (await counts()).events;

      const refusals: [string, unknown, number, string][] = [
        ['take', undefined, 409, 'WORKFLOW_ACTION_NOT_ALLOWED'], // not at this status any more
        ['accept', {}, 422, 'WORKFLOW_CONFIRMATION_REQUIRED'],
        ['refuse', {}, 422, 'WORKFLOW_COMMENT_REQUIRED'],
        ['nope', {}, 404, 'WORKFLOW_UNKNOWN_ACTION'],
        ['Bad Id', {}, 422, 'DEMAND_REQUEST_INVALID'],
      ];
      for (const [action, body, status, code] of refusals) {
        const reply = await call('POST', `/api/v1/demands/${id}/actions/${encodeURIComponent(action)}`, { body });
        expect({ action, status: reply.status, code: reply.body.code }).toEqual({ action, status, code });
        expect(typeof reply.body.message).toBe('string');
      }
      const stale = await call('POST', `/api/v1/demands/${id}/actions/accept`, { body: { confirmed: true, expectedVersion: 1 } });
      expect(stale.status).toBe(409);
      expect(stale.body.code).toBe('DEMAND_CONCURRENT_UPDATE');
      const trigger = await call('POST', `/api/v1/demands/${id}/triggers/prise-en-charge`);
      expect(trigger.status).toBe(409);
      expect(await state(id)).toEqual(snapshot);
      expect((await counts()).events).toBe(events);

      const accepted = await call('POST', `/api/v1/demands/${id}/actions/accept`, { body: { confirmed: true }, headers: { 'if-match': '"2"' } });
      expect(accepted.status).toBe(200);
      expect((await state(id)).closed_at).not.toBeNull();
      const closed = await call('POST', `/api/v1/demands/${id}/actions/refuse`, { body: { comment: 'trop tard' } });
      expect(closed.status).toBe(409);
      expect(closed.body.code).toBe('WORKFLOW_DEMAND_CLOSED');
    });

    it('calls an API trigger as the partner system', async () => {
      const id = await newDemand();
      const reply = await call('POST', `/api/v1/demands/${id}/triggers/prise-en-charge`);
      expect(reply.status).toBe(200);
      expect(reply.body.demand).toMatchObject({ status: { id: 'in_progress' } });
      const [event] = await db.query(`SELECT actor FROM demand_event WHERE demand_id = $1 AND kind = 'api_triggered'`, [id]);
      expect(event.actor).toEqual({ type: 'partner', apiKeyId: seed.keyId });
      const unknown = await call('POST', `/api/v1/demands/${id}/triggers/inconnu`);
      expect(unknown.status).toBe(409);
    });

    it('asks for information: a request_info schedules its timer through the outbox (workflow.timer, due in 30 days)', async () => {
      const id = await newDemand();
      await call('POST', `/api/v1/demands/${id}/actions/take`);
      const asked = await call('POST', `/api/v1/demands/${id}/actions/ask-info`, { body: { comment: 'Quelle adresse ?' } });
      expect(asked.status).toBe(200);
      expect(asked.body.demand).toMatchObject({ status: { id: 'awaiting_info' } });
      const [timer] = await db.query(`SELECT job_key, payload, available_at FROM outbox_message WHERE job_name = 'workflow.timer' AND payload->>'demandId' = $1`, [id]);
      expect(timer.payload).toEqual({ demandId: id, actionId: 'relance', dueAt: '2026-02-14T09:00:00.000Z' });
      expect(new Date(timer.available_at).toISOString()).toBe('2026-02-14T09:00:00.000Z');
    });

    it('of two parallel identical actions, exactly one applies and the other gets 409 DEMAND_CONCURRENT_UPDATE', async () => {
      for (let round = 0; round < 3; round++) {
        const id = await newDemand();
        const replies = await Promise.all([1, 2].map(() => call('POST', `/api/v1/demands/${id}/actions/take`, { body: { expectedVersion: 1 } })));
        expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
        expect(replies.find((r) => r.status === 409)!.body.code).toBe('DEMAND_CONCURRENT_UPDATE');
        expect(await state(id)).toMatchObject({ status: 'in_progress', lock_version: 2 });
        const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM demand_event WHERE demand_id = $1 AND kind = 'button_pressed'`, [id]);
        expect(count).toBe(1);
      }
      // Without a version from the client, the loser is refused either by the lock or by the workflow (no longer at this status).
      const id = await newDemand();
      const replies = await Promise.all([1, 2].map(() => call('POST', `/api/v1/demands/${id}/actions/take`)));
      expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(['DEMAND_CONCURRENT_UPDATE', 'WORKFLOW_ACTION_NOT_ALLOWED']).toContain(replies.find((r) => r.status === 409)!.body.code);
      expect(await state(id)).toMatchObject({ status: 'in_progress', lock_version: 2 });
    });

    it('posts and lists messages (citizen and internal, with a file), and mails the citizen about a citizen-visible one', async () => {
      const id = await newDemand();
      const posted = await call('POST', `/api/v1/demands/${id}/messages`, {
        body: { body: 'Bonjour, un agent passera demain.', files: [{ name: 'plan.png', contentBase64: PNG_BYTES.toString('base64') }] },
      });
      expect(posted.status).toBe(201);
      expect(posted.body).toMatchObject({ visibility: 'citizen', attachments: [expect.objectContaining({ fileName: 'plan.png', mimeType: 'image/png' })] });
      (app.clock as ManualClock).advance(1_000); // messages are listed by time
      const internal = await call('POST', `/api/v1/demands/${id}/messages`, { body: { body: 'Note interne', visibility: 'internal' } });
      expect(internal.status).toBe(201);
      const list = await call('GET', `/api/v1/demands/${id}/messages`);
      expect((list.body.items as { body: string }[]).map((m) => m.body)).toEqual(['Bonjour, un agent passera demain.', 'Note interne']);
      const mails = await db.query(`SELECT job_key FROM outbox_message WHERE job_name = 'mail.send' AND job_key LIKE $1`, [`%${id}/message-%`]);
      expect(mails).toHaveLength(1);
      const empty = await call('POST', `/api/v1/demands/${id}/messages`, { body: { body: '  ', visibility: 'secret' } });
      expect(empty.status).toBe(422);
      expect(empty.body.fields!.map((f) => f.path).sort()).toEqual(['body', 'visibility']);
    });
  });

  describe('version pinning', () => {
    it('a demand keeps its version’s form and workflow after v2 is published; new demands use v2', async () => {
      const first = (await submit(validData())).body.demand as { id: string };
      const form2 = structuredClone(TEST_FORM);
      form2.pages[0].fields.push({ id: 'telephone', type: 'text', label: 'Téléphone', required: true, maxLength: 20, personalData: true } as (typeof form2.pages)[0]['fields'][0]);
      const workflow2 = structuredClone(TEST_WORKFLOW) as { statuses: { label: string; actions: { id: string }[] }[] };
      workflow2.statuses[0].label = 'Bien reçue (v2)';
      workflow2.statuses[0].actions = workflow2.statuses[0].actions.filter((a) => a.id !== 'take');
      const v2 = await seed.publish(seed.simple, form2, workflow2, new Date('2026-01-15T09:30:00Z'));
      catalogueChanged();

      const old = await call('GET', `/api/v1/demands/${first.id}`);
      expect(old.body).toMatchObject({ versionId: seed.simpleV1.id, status: { citizenLabel: 'Demande reçue' } });
      // v1's workflow still has the `take` button for this demand.
      expect((await call('POST', `/api/v1/demands/${first.id}/actions/take`)).status).toBe(200);

      const refused = await submit(validData());
      expect(refused.status).toBe(422);
      expect(refused.body.fields).toEqual([expect.objectContaining({ path: 'data.telephone', code: 'REQUIRED' })]);
      const second = await submit(validData({ telephone: '06 12 34 56 78' }));
      expect(second.status).toBe(201);
      expect(second.body.demand).toMatchObject({ versionId: v2.id, status: { citizenLabel: 'Bien reçue (v2)' } });
      const take = await call('POST', `/api/v1/demands/${(second.body.demand as { id: string }).id}/actions/take`);
      expect(take.status).toBe(404);
      expect(take.body.code).toBe('WORKFLOW_UNKNOWN_ACTION');
    });
  });

  describe('documentation', () => {
    it('serves an OpenAPI 3.1 document listing the paths, with the form and workflow JSON Schemas, and an HTML page', async () => {
      const reply = await call('GET', '/api/docs/openapi.json', { key: null });
      expect(reply.status).toBe(200);
      const doc = JSON.parse(reply.raw.toString('utf8'));
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths).sort()).toEqual([
        '/api/v1/demands',
        '/api/v1/demands/{id}',
        '/api/v1/demands/{id}/actions/{actionId}',
        '/api/v1/demands/{id}/attachments/{attachmentId}',
        '/api/v1/demands/{id}/messages',
        '/api/v1/demands/{id}/triggers/{name}',
        '/api/v1/teleservices',
        '/api/v1/teleservices/{slug}',
        '/api/v1/teleservices/{slug}/demands',
        '/api/v1/teleservices/{slug}/versions',
      ]);
      expect(doc.components.schemas.FormDefinition.properties.pages).toBeDefined();
      expect(doc.components.schemas.WorkflowDefinition.properties.statuses).toBeDefined();
      // Every $ref to a component resolves.
      const refs = [...reply.raw.toString('utf8').matchAll(/"\$ref":"#\/components\/(schemas|responses)\/([^"]+)"/g)];
      for (const [, kind, name] of refs) expect(doc.components[kind][name]).toBeDefined();
      const page = await fetch(`${app.url}/api/docs`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('POST /api/v1/teleservices/{slug}/demands');
    });
  });
});
