import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from '#testing';
import { engineApp } from './engine.app.js';
import { PNG_BYTES, seedEngine, type EngineSeed } from './engine-test-fixture.js';

/** Mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELD_IDS = ['nom', 'courriel', 'motif', 'precision', 'date_faits', 'justificatif', '__proto__', 'constructor', 'x'];
const STRINGS = ['', ' ', 'bruit', 'autre', 'a@b.fr', '2026-01-10', '2026-13-45', '\u0000', '💥'.repeat(50), 'x'.repeat(5000), '../../etc/passwd', '{{demand.id}}', "'; DROP TABLE demand; --"];

function randomValue(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return Math.floor((rand() - 0.5) * 1e6) / (rand() < 0.5 ? 1 : 7);
    case 3:
    case 4:
      return STRINGS[Math.floor(rand() * STRINGS.length)];
    case 5:
      return rand() < 0.5 ? 1e308 * 10 : -0;
    case 6:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 5); i > 0; i--) out[FIELD_IDS[Math.floor(rand() * FIELD_IDS.length)]] = randomValue(rand, depth + 1);
      return out;
    }
  }
}

function randomBody(rand: () => number): string {
  const roll = rand();
  if (roll < 0.05) return '{"data": {"nom": ';
  if (roll < 0.1) return JSON.stringify(randomValue(rand));
  const body: Record<string, unknown> = { data: randomValue(rand) };
  if (rand() < 0.5) {
    const data = (typeof body.data === 'object' && body.data && !Array.isArray(body.data) ? body.data : {}) as Record<string, unknown>;
    Object.assign(data, { nom: 'Dominique', courriel: 'd@example.org', motif: rand() < 0.5 ? 'bruit' : 'autre' });
    body.data = data;
  }
  if (rand() < 0.3) {
    body.files = rand() < 0.2 ? randomValue(rand) : { [rand() < 0.8 ? 'justificatif' : 'nom']: [{ name: STRINGS[Math.floor(rand() * STRINGS.length)], contentBase64: rand() < 0.7 ? PNG_BYTES.toString('base64') : '%%%' }] };
  }
  if (rand() < 0.1) body.contactEmail = randomValue(rand);
  if (rand() < 0.05) body[STRINGS[Math.floor(rand() * STRINGS.length)] || 'extra'] = 1;
  return JSON.stringify(body);
}

describe('fuzzing POST /api/v1/teleservices/:slug/demands with random JSON', () => {
  let app: TestApp;
  let db: DataSource;
  let seed: EngineSeed;
  let storageDir: string;

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-fuzz-'));
    app = await startTestApp(engineApp, { env: { STORAGE_DIR: storageDir } });
    db = app.app.get(DataSource);
    seed = await seedEngine(db);
  });

  afterAll(async () => {
    await app?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('never answers 500, always the error shape on refusal, and a refusal stores nothing (bounded: 500 requests or 20 s)', async () => {
    const seedValue = Number(process.env.FUZZ_SEED ?? 20260115);
    const rand = prng(seedValue);
    const deadline = Date.now() + 20_000;
    const statuses = new Map<number, number>();
    let accepted = 0;
    for (let i = 0; i < 500 && Date.now() < deadline; i++) {
      const body = randomBody(rand);
      const [{ demands: before, attachments: filesBefore }] = await db.query(`SELECT (SELECT count(*) FROM demand)::int AS demands, (SELECT count(*) FROM attachment)::int AS attachments`);
      const res = await fetch(`${app.url}/api/v1/teleservices/demande-simple/demands`, {
        method: 'POST',
        headers: { authorization: `Bearer ${seed.key}`, 'content-type': 'application/json' },
        body,
      });
      const reply = (await res.json()) as { code?: string; message?: string; demand?: { id: string } };
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const context = { seed: seedValue, i, body: body.slice(0, 500), status: res.status, reply };
      expect({ ...context, serverError: res.status >= 500 }).toEqual({ ...context, serverError: false });
      const [{ demands: after, attachments: filesAfter }] = await db.query(`SELECT (SELECT count(*) FROM demand)::int AS demands, (SELECT count(*) FROM attachment)::int AS attachments`);
      if (res.status === 201) {
        accepted++;
        expect(after).toBe(before + 1);
      } else {
        expect({ ...context, code: typeof reply.code, message: typeof reply.message }).toEqual({ ...context, code: 'string', message: 'string' });
        expect({ ...context, demands: after, files: filesAfter }).toEqual({ ...context, demands: before, files: filesBefore });
      }
    }
    // Every file on disk belongs to an accepted demand's attachment row.
    const files: string[] = [];
    const walk = async (dir: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        if (entry.isDirectory()) await walk(join(dir, entry.name));
        else files.push(join(dir, entry.name));
      }
    };
    await walk(storageDir);
    const [{ attachments }] = await db.query(`SELECT count(*)::int AS attachments FROM attachment`);
    expect(files.filter((f) => !f.includes('.incoming')).length).toBe(attachments);
    expect(files.filter((f) => f.includes('.incoming'))).toEqual([]);
    expect(accepted).toBeGreaterThan(0);
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([201, 400, 422]));
  });
});
