import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { JsonObjectStream } from './json-stream.js';

/** Writes `members` through JsonObjectStream (arrays item by item, in pages of `page`) and returns the text. */
async function streamed(members: [string, unknown][], page: number, highWaterMark = 16): Promise<string> {
  const out = new PassThrough({ highWaterMark });
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const json = new JsonObjectStream(out);
  for (const [key, value] of members) {
    if (!Array.isArray(value)) {
      await json.member(key, value);
      continue;
    }
    await json.array(key);
    for (let i = 0; i < value.length; i += page) await json.items(value.slice(i, i + page));
  }
  await json.end();
  out.end();
  await new Promise((resolve) => out.on('end', resolve));
  return Buffer.concat(chunks).toString('utf8');
}

describe('JsonObjectStream (the instance export written piece by piece)', () => {
  const document = {
    format: 'parvis-instance-export',
    version: 1,
    exportedAt: '2026-11-22T10:00:00.000Z',
    collectivity: { id: 'c', name: 'Givors', slug: 'givors' },
    instance: { id: 'i', slug: 'givors', environment: 'production', status: 'decommissioned' },
    teleservices: [{ id: 't', versions: [{ form: { pages: [{ fields: [] }] }, workflow: { statuses: ['a', 'b'] } }], archived_at: null }],
    demands: Array.from({ length: 7 }, (_, i) => ({
      id: `d${i}`,
      data: { nom: `Usager ${i}`, texte: 'deux\nlignes « et » "guillemets"', liste: [1, { a: [] }], vide: {} },
      submitted_at: new Date(Date.UTC(2026, 0, i + 1)),
      history: [],
      messages: i % 2 ? [{ body: 'Bonjour' }] : [],
    })),
  };

  it('prints exactly what JSON.stringify(document, null, 2) prints, whatever the page size and the reader’s pace', async () => {
    for (const page of [1, 3, 100]) {
      expect(await streamed(Object.entries(document), page)).toBe(JSON.stringify(document, null, 2));
    }
  });

  it('prints empty arrays and an empty object the same way too', async () => {
    const empty = { format: 'x', teleservices: [], demands: [] };
    expect(await streamed(Object.entries(empty), 10)).toBe(JSON.stringify(empty, null, 2));
    expect(await streamed([], 10)).toBe(JSON.stringify({}, null, 2));
    expect(JSON.parse(await streamed(Object.entries(document), 2))).toEqual(JSON.parse(JSON.stringify(document)));
  });
});
