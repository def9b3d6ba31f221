import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TeleserviceRepository } from '#teleservices';
import { startTestApp, type TestApp } from '#testing';
import { engineApp } from './engine.app.js';
import { PNG_BYTES, seedEngine, T0, TEST_WORKFLOW, type EngineSeed } from './engine-test-fixture.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const FORM = {
  schemaVersion: 1,
  title: 'Inscription',
  pages: [
    {
      id: 'p',
      title: 'Inscription',
      fields: [
        { id: 'responsable', type: 'text', label: 'Responsable', required: true },
        { id: 'justificatif', type: 'file', label: 'Justificatif de domicile', required: true, accept: ['image/png', 'application/pdf'], maxSizeBytes: 4096, maxFiles: 2 },
        {
          id: 'enfants',
          type: 'block',
          label: 'Enfants',
          minItems: 1,
          maxItems: 4,
          fields: [
            { id: 'prenom', type: 'text', label: 'Prénom', required: true },
            { id: 'certificat', type: 'file', label: 'Certificat de vaccination', accept: ['image/png'], maxSizeBytes: 4096, maxFiles: 1 },
          ],
        },
      ],
    },
  ],
};

const png = (tag: string) => Buffer.concat([PNG_BYTES, Buffer.from(tag)]);

describe('files in repeatable blocks, and multipart/form-data submissions (PostgreSQL, local storage)', () => {
  let app: TestApp;
  let db: DataSource;
  let seed: EngineSeed;
  let storageDir: string;
  const url = () => `${app.url}/api/v1/teleservices/inscription/demands`;

  const json = async (body: unknown) => {
    const res = await fetch(url(), { method: 'POST', headers: { authorization: `Bearer ${seed.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const multipart = async (form: FormData) => {
    const res = await fetch(url(), { method: 'POST', headers: { authorization: `Bearer ${seed.key}` }, body: form });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const b64 = (name: string, content: Buffer) => [{ name, contentBase64: content.toString('base64') }];
  const storedCount = async () => {
    let n = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(dir, e.name));
        else n++;
      }
    };
    await walk(storageDir);
    return n;
  };
  const demandsCount = async () => (await db.query(`SELECT count(*)::int AS n FROM demand`))[0].n as number;
  const download = async (href: string) => Buffer.from(await (await fetch(`${app.url}${href}`, { headers: { authorization: `Bearer ${seed.key}` } })).arrayBuffer());

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-uploads-'));
    app = await startTestApp(engineApp, { env: { STORAGE_DIR: storageDir } });
    db = app.app.get(DataSource);
    seed = await seedEngine(db);
    const teleservices = new TeleserviceRepository(db.manager);
    const teleservice = await teleservices.create({
      instanceId: seed.simple.instanceId,
      collectivityId: seed.metropolisId,
      slug: 'inscription',
      kind: 'metropolitan',
      title: 'Inscription',
      summary: 'Blocs et fichiers',
      anonymousAllowed: false,
      now: T0,
    });
    await seed.publish(teleservice, FORM, TEST_WORKFLOW);
  });

  afterAll(async () => {
    await app?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('JSON: takes a file for one block item’s file field (`enfants[1].certificat`) next to a top-level one', async () => {
    const res = await json({
      data: { responsable: 'Alix', enfants: [{ prenom: 'Léa' }, { prenom: 'Noé' }] },
      files: { justificatif: b64('domicile.png', png('d')), 'enfants[1].certificat': b64('vaccins-noe.png', png('noe')) },
    });
    expect(res.status).toBe(201);
    const [row] = await db.query(`SELECT data FROM demand WHERE id = $1`, [res.body.demand.id]);
    expect(row.data.enfants[0]).toEqual({ prenom: 'Léa' });
    expect(row.data.enfants[1]).toMatchObject({ prenom: 'Noé', certificat: [{ name: 'vaccins-noe.png', mimeType: 'image/png' }] });
    const attachments = await db.query(`SELECT field_id, file_name FROM attachment WHERE demand_id = $1 ORDER BY field_id`, [res.body.demand.id]);
    expect(attachments).toEqual([
      { field_id: 'enfants[1].certificat', file_name: 'vaccins-noe.png' },
      { field_id: 'justificatif', file_name: 'domicile.png' },
    ]);
  });

  it('JSON: refuses a file for a missing item, an unknown block field, a descriptor typed in the block data — every error at once, nothing stored', async () => {
    const [files, demands] = [await storedCount(), await demandsCount()];
    const res = await json({
      data: { responsable: 'Alix', enfants: [{ prenom: 'Léa', certificat: [{ name: 'x', ref: 'vol' }] }] },
      files: { justificatif: b64('d.png', png('d')), 'enfants[3].certificat': b64('a.png', png('a')), 'enfants[0].prenom': b64('b.png', png('b')) },
    });
    expect(res.status).toBe(422);
    expect(res.body.fields.map((f: any) => `${f.path} ${f.code}`).sort()).toEqual([
      'data.enfants[0].certificat FILE_EXPECTED',
      'files[1].fieldId UNKNOWN_ITEM',
      'files[2].fieldId UNKNOWN_FIELD',
    ]);
    expect([await storedCount(), await demandsCount()]).toEqual([files, demands]);
  });

  it('multipart/form-data: a `data` JSON part and file parts named after their fields (blocks too), order of a field’s files kept', async () => {
    const form = new FormData();
    form.append('data', JSON.stringify({ responsable: 'Camille', enfants: [{ prenom: 'Léa' }] }));
    form.append('contactEmail', 'camille@example.org');
    form.append('justificatif', new Blob([png('premier')]), 'premier.png');
    form.append('justificatif', new Blob([png('second')]), 'second.png');
    form.append('enfants[0].certificat', new Blob([png('lea')]), 'lea.png');
    const res = await multipart(form);
    expect(res.status).toBe(201);
    const detail = await (await fetch(`${app.url}/api/v1/demands/${res.body.demand.id}`, { headers: { authorization: `Bearer ${seed.key}` } })).json();
    const byName = new Map<string, any>((detail as any).attachments.map((a: any) => [a.fileName, a]));
    expect([...byName.keys()].sort()).toEqual(['lea.png', 'premier.png', 'second.png']);
    expect(await download(byName.get('second.png').href)).toEqual(png('second'));
    expect(await download(byName.get('lea.png').href)).toEqual(png('lea'));
    const [row] = await db.query(`SELECT data FROM demand WHERE id = $1`, [res.body.demand.id]);
    expect(row.data.justificatif.map((f: any) => f.name)).toEqual(['premier.png', 'second.png']);
  });

  it('multipart/form-data: refuses a missing or malformed `data`, an unknown part, a file over its field’s limit — with paths, nothing stored, no temporary file left', async () => {
    const [files, demands] = [await storedCount(), await demandsCount()];
    const spooled = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('parvis-upload-')).length;
    const tempBefore = await spooled();

    const missing = new FormData();
    missing.append('autre', 'x');
    missing.append('justificatif', new Blob([png('d')]), 'd.png');
    const r1 = await multipart(missing);
    expect(r1.status).toBe(422);
    expect(r1.body.fields.map((f: any) => `${f.path} ${f.code}`).sort()).toEqual(['autre UNKNOWN_FIELD', 'data REQUIRED']);

    const bad = new FormData();
    bad.append('data', '{pas du json');
    const r2 = await multipart(bad);
    expect(r2.status).toBe(422);
    expect(r2.body.fields).toEqual([expect.objectContaining({ path: 'data', code: 'INVALID_FORMAT' })]);

    const big = new FormData();
    big.append('data', JSON.stringify({ responsable: 'Alix', enfants: [{ prenom: 'Léa' }] }));
    big.append('justificatif', new Blob([Buffer.concat([PNG_BYTES, Buffer.alloc(10_000)])]), 'gros.png');
    const r3 = await multipart(big);
    expect(r3.status).toBe(422);
    expect(r3.body.fields).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'data.justificatif[0]', code: 'FILE_TOO_LARGE' })]));

    expect([await storedCount(), await demandsCount(), await spooled()]).toEqual([files, demands, tempBefore]);
  });

  it('multipart/form-data: a body without boundary, truncated, or with a nameless file part is refused (422, never 500), nothing stored', async () => {
    const [files, demands] = [await storedCount(), await demandsCount()];
    const raw = async (contentType: string, body: string | Buffer<ArrayBuffer>) => {
      const res = await fetch(url(), { method: 'POST', headers: { authorization: `Bearer ${seed.key}`, 'content-type': contentType }, body: typeof body === 'string' ? body : new Blob([body]) });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const noBoundary = await raw('multipart/form-data', '--x\r\nContent-Disposition: form-data; name="data"\r\n\r\n{}\r\n--x--\r\n');
    expect(noBoundary.status).toBe(422);
    const truncated = await raw(
      'multipart/form-data; boundary=XyZ',
      Buffer.concat([
        Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="data"\r\n\r\n{"responsable":"A","enfants":[{"prenom":"L"}]}\r\n'),
        Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="justificatif"; filename="d.png"\r\nContent-Type: image/png\r\n\r\n'),
        PNG_BYTES,
      ]),
    );
    expect(truncated.status).toBe(422);
    const nameless = await raw(
      'multipart/form-data; boundary=XyZ',
      '--XyZ\r\nContent-Disposition: form-data; name="data"\r\n\r\n{"responsable":"A","enfants":[{"prenom":"L"}]}\r\n' +
        '--XyZ\r\nContent-Disposition: form-data; name="justificatif"; filename=""\r\nContent-Type: image/png\r\n\r\nabc\r\n--XyZ--\r\n',
    );
    expect(nameless.status).toBe(422);
    // A part without a file name is a text part for busboy: an unknown part here.
    expect(nameless.body.fields.map((f: any) => f.path)).toContain('justificatif');
    expect([await storedCount(), await demandsCount()]).toEqual([files, demands]);
  });

  it('documents both request bodies of the submission in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${app.url}/api/docs/openapi.json`)).json()) as any;
    const body = doc.paths['/api/v1/teleservices/{slug}/demands'].post.requestBody.content;
    expect(Object.keys(body).sort()).toEqual(['application/json', 'multipart/form-data']);
    expect(body['multipart/form-data'].schema.required).toEqual(['data']);
  });
});
