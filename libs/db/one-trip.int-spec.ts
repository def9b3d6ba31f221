import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { runInOneTrip, type PreparedStatement } from '#db';
import { createTestDatabase, type TestDatabase } from '#testing';

/** `runInOneTrip` on a real PostgreSQL: one implicit transaction, prepared statements kept per connection. */
describe('runInOneTrip', () => {
  let database: TestDatabase;
  let client: pg.Client;
  /** A second connection, to see only what was committed. */
  let observer: pg.Client;

  const insert = (id: string, label: string): PreparedStatement => ({
    name: 'one_trip_insert',
    text: 'INSERT INTO one_trip_item (id, label, data) VALUES ($1::int, $2::text, $3::jsonb) RETURNING id, label, data, created_at',
    values: [id, label, JSON.stringify({ label })],
  });
  const labels = async () => (await observer.query<{ label: string }>('SELECT label FROM one_trip_item ORDER BY id')).rows.map((r) => r.label);

  beforeAll(async () => {
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    observer = new pg.Client({ connectionString: database.url });
    await client.connect();
    await observer.connect();
    await client.query('CREATE TABLE one_trip_item (id int PRIMARY KEY, label text NOT NULL CHECK (label <> \'\'), data jsonb, created_at timestamptz NOT NULL DEFAULT now())');
  });

  beforeEach(async () => {
    await observer.query('TRUNCATE one_trip_item');
  });

  afterAll(async () => {
    await client?.end();
    await observer?.end();
    await database?.drop();
  });

  it("commits every statement together and returns each one's rows, parsed by node-postgres' types", async () => {
    const [first, second] = await runInOneTrip(client, [insert('1', 'un'), insert('2', 'deux')]);
    expect(first).toEqual([{ id: 1, label: 'un', data: { label: 'un' }, created_at: expect.any(Date) }]);
    expect(second).toEqual([{ id: 2, label: 'deux', data: { label: 'deux' }, created_at: expect.any(Date) }]);
    // One transaction: both rows carry the same now().
    expect(first[0].created_at).toEqual(second[0].created_at);
    expect(await labels()).toEqual(['un', 'deux']);
  });

  it('rolls everything back at the first error, skips the rest, and leaves the connection usable', async () => {
    const failing = runInOneTrip(client, [
      insert('1', 'un'),
      { name: 'one_trip_check', text: 'INSERT INTO one_trip_item (id, label) VALUES ($1::int, $2::text)', values: ['2', ''] },
      insert('3', 'trois'),
    ]);
    await expect(failing).rejects.toMatchObject({ code: '23514', constraint: 'one_trip_item_label_check' });
    expect(await labels()).toEqual([]);
    // The same connection goes on: no transaction left open, the statements work again.
    expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await runInOneTrip(client, [insert('1', 'un'), { name: 'one_trip_check', text: 'INSERT INTO one_trip_item (id, label) VALUES ($1::int, $2::text)', values: ['2', 'deux'] }]);
    expect(await labels()).toEqual(['un', 'deux']);
  });

  it('prepares a statement again after a trip that failed while preparing it (no "already exists")', async () => {
    // A fresh name: prepared by this trip, which then fails on its second statement (whose Parse fails).
    const fresh: PreparedStatement = { name: 'one_trip_fresh', text: 'INSERT INTO one_trip_item (id, label) VALUES ($1::int, $2::text)', values: ['5', 'cinq'] };
    const broken: PreparedStatement = { name: 'one_trip_broken', text: 'INSERT INTO no_such_table VALUES ($1::int)', values: ['1'] };
    await expect(runInOneTrip(client, [fresh, broken])).rejects.toMatchObject({ code: '42P01' });
    const prepared = await client.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE name LIKE 'one_trip_%' ORDER BY name`);
    expect(prepared.rows.map((r) => r.name)).toContain('one_trip_fresh');
    await runInOneTrip(client, [fresh]);
    expect(await labels()).toEqual(['cinq']);
  });

  it('parses and plans a statement once per connection, then only binds it', async () => {
    for (let id = 10; id < 17; id++) await runInOneTrip(client, [insert(String(id), `n${id}`)]);
    const { rows } = await client.query<{ runs: number }>(
      `SELECT (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements WHERE name = 'one_trip_insert'`,
    );
    // One prepared statement, run by every trip of this connection (the earlier tests' included).
    expect(rows).toHaveLength(1);
    expect(rows[0].runs).toBeGreaterThanOrEqual(7);
  });

  it('keeps transaction-local settings for the statements after them, and drops them with the transaction', async () => {
    const [, [seen]] = await runInOneTrip(client, [
      { name: 'one_trip_set', text: `SELECT set_config('parvis.one_trip', $1, true)`, values: ['portée'] },
      { name: 'one_trip_get', text: `SELECT current_setting('parvis.one_trip', true) AS value`, values: [] },
    ]);
    expect(seen).toEqual({ value: 'portée' });
    const after = await client.query<{ value: string | null }>(`SELECT current_setting('parvis.one_trip', true) AS value`);
    expect(after.rows[0].value ?? '').toBe('');
  });

  it('refuses, before sending anything, a name reused for another text or a value that is not text', async () => {
    await expect(runInOneTrip(client, [{ ...insert('20', 'vingt'), text: 'SELECT 1' }])).rejects.toThrow(/déjà utilisée pour un autre texte/);
    await expect(runInOneTrip(client, [{ ...insert('21', 'x'), values: [21 as unknown as string, 'x', null] }])).rejects.toThrow(/paramètres texte ou NULL/);
    expect(await labels()).toEqual([]);
    await runInOneTrip(client, [insert('22', 'vingt-deux')]);
    expect(await labels()).toEqual(['vingt-deux']);
  });
});
