import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Full-text search of the back office's inbox (issue 7 performance bar: first page with a status filter and a text
 * term under 50 ms at p95 over 1,000,000 demands; bench/backoffice-inbox.ts).
 *
 * - Text search configurations `parvis_french` (French stems) and `parvis_simple` (words as written), both with
 *   the `unaccent` dictionary as a filter before the stemmer (when the extension exists; 1763800800000 creates it
 *   where it can; without it accents count). Case is always ignored.
 * - `parvis_demand_search_vector(data)`: both vectors of the form's answers — the string and number values of
 *   `data` at any depth, never the field ids (`jsonb_to_tsvector`, C code: a few tens of µs per demand, so
 *   that the write path hardly notices the trigger).
 * - `parvis_demand_search_query(term)`: every word of the term (as `parvis_simple` cuts it), in any order, as a
 *   word of the answers, as written or French-stemmed (« lampadaires » finds « Lampadaire », « ecully » finds
 *   « Écully », « chevaux » finds « cheval »); French stop words (« de », « la », « l’ ») are left out unless the
 *   term has nothing else; NULL when the term has no word (then nothing matches). Whole words
 *   only: a prefix (`:*`) is a partial match that GIN cannot skip through — hundreds of ms for a common word at
 *   1,000,000 demands. Lexemes are quoted into the tsquery, never re-parsed.
 * - `demand.search_vector`: that vector, stored, written by the BEFORE INSERT OR UPDATE OF data trigger
 *   `demand_search_vector_trigger`, indexed with the collectivity by `demand_search_idx` (GIN, btree_gin).
 * - `parvis_demand_search_ids(term, cap)`: the ids (at most `cap`) of the demands of the tenant's collectivities
 *   (`tenant_collectivity_ids()`, one index scan each) that match, read through the GIN index. Row-level security would keep that index
 *   out of the tenant's own query (`@@` is not LEAKPROOF: PostgreSQL evaluates it after the policies, row by row),
 *   so this SECURITY DEFINER function reads it as the owner — which must bypass row-level security (a superuser,
 *   or a role with BYPASSRLS) for the index to be used; otherwise `SET parvis.platform = on` lets the platform
 *   policy through and the function stays correct, only slower. It returns ids only, of the caller's
 *   collectivities only; the inbox then reads those rows under row-level security, through the primary key.
 *
 * The functions are IMMUTABLE (a fixed configuration). The existing rows get their vector here: it is derived
 * from `data`, not a data change of its own. The backfill runs in platform scope (row-level security is FORCEd on
 * `demand`; a superuser bypasses it anyway).
 * Entity: libs/demands/entities/demand.entity.ts (column and GIN index declared there).
 */
export class DemandSearch1763802400000 implements MigrationInterface {
  name = 'DemandSearch1763802400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TEXT SEARCH CONFIGURATION parvis_french (COPY = pg_catalog.french)`);
    await queryRunner.query(`CREATE TEXT SEARCH CONFIGURATION parvis_simple (COPY = pg_catalog.simple)`);
    await queryRunner.query(`
      DO $$
      DECLARE unaccent_schema text := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent');
      BEGIN
        IF unaccent_schema IS NOT NULL THEN
          EXECUTE format('ALTER TEXT SEARCH CONFIGURATION parvis_french ALTER MAPPING FOR word, hword, hword_part, numword, numhword, hword_numpart WITH %I.unaccent, pg_catalog.french_stem', unaccent_schema);
          EXECUTE format('ALTER TEXT SEARCH CONFIGURATION parvis_simple ALTER MAPPING FOR word, hword, hword_part, numword, numhword, hword_numpart WITH %I.unaccent, pg_catalog.simple', unaccent_schema);
        ELSE
          RAISE NOTICE 'unaccent unavailable: the demands'' search tells accented letters apart';
        END IF;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION parvis_demand_search_vector(data jsonb) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT jsonb_to_tsvector('parvis_french', data, '["string", "numeric"]') || jsonb_to_tsvector('parvis_simple', data, '["string", "numeric"]') $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION parvis_demand_search_query(term text) RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ WITH words AS (SELECT v.lexeme, ts_lexize('pg_catalog.french_stem', v.lexeme) AS stems FROM unnest(to_tsvector('parvis_simple', term)) AS v),
                   kept AS (SELECT * FROM words WHERE stems IS DISTINCT FROM '{}' OR NOT EXISTS (SELECT 1 FROM words WHERE stems IS DISTINCT FROM '{}'))
              SELECT string_agg('(' || array_to_string(ARRAY(
                       SELECT '''' || replace(replace(l, '\\', '\\\\'), '''', '''''') || ''''
                         FROM unnest(ARRAY[k.lexeme] || k.stems) WITH ORDINALITY AS f(l, n)
                        GROUP BY l ORDER BY min(n)), ' | ') || ')', ' & ' ORDER BY k.lexeme)::tsquery
                FROM kept AS k $$
    `);
    await queryRunner.query(`ALTER TABLE "demand" ADD COLUMN "search_vector" tsvector`);
    await queryRunner.query(`SELECT set_config('parvis.platform', 'on', true)`);
    await queryRunner.query(`UPDATE "demand" SET "search_vector" = parvis_demand_search_vector("data")`);
    await queryRunner.query(`ALTER TABLE "demand" ALTER COLUMN "search_vector" SET NOT NULL`);
    await queryRunner.query(`
      CREATE FUNCTION demand_search_vector_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.search_vector := parvis_demand_search_vector(NEW.data);
        RETURN NEW;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER "demand_search_vector_trigger" BEFORE INSERT OR UPDATE OF "data" ON "demand"
        FOR EACH ROW EXECUTE FUNCTION demand_search_vector_update()
    `);
    // The collectivity in the same GIN index (btree_gin): the tenant's collectivity and the words are intersected
    // inside the index (one commune's few matches among a million demands without visiting the others).
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS btree_gin`);
    await queryRunner.query(`CREATE INDEX "demand_search_idx" ON "demand" USING gin ("collectivity_id", "search_vector")`);
    // Row-level security keeps the GIN index out of the tenant's plans (`@@` is not LEAKPROOF, so PostgreSQL may
    // not evaluate it before the policies). The index is read here, as the owner, for the tenant's collectivities
    // only (the same setting the policies read); the tenant's query then takes these ids through the primary key.
    await queryRunner.query(`
      DO $$
      BEGIN
        EXECUTE format($f$
          CREATE FUNCTION parvis_demand_search_ids(term text, cap integer) RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
            SET search_path = %I, pg_catalog SET parvis.platform = 'on'
            AS $b$ SELECT ARRAY(SELECT m.id FROM unnest(tenant_collectivity_ids()) AS c(id)
                                 CROSS JOIN LATERAL (SELECT d.id FROM demand d
                                                      WHERE d.collectivity_id = c.id AND d.search_vector @@ parvis_demand_search_query(term)
                                                      LIMIT least(greatest(cap, 0), 10000)) AS m
                                LIMIT least(greatest(cap, 0), 10000)) $b$
        $f$, current_schema());
      END
      $$
    `);
    await queryRunner.query(`REVOKE ALL ON FUNCTION parvis_demand_search_ids(text, integer) FROM PUBLIC`);
    await queryRunner.query(`GRANT EXECUTE ON FUNCTION parvis_demand_search_ids(text, integer) TO "parvis_tenant"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION parvis_demand_search_ids(text, integer)`);
    await queryRunner.query(`DROP INDEX "demand_search_idx"`);
    await queryRunner.query(`DROP TRIGGER "demand_search_vector_trigger" ON "demand"`);
    await queryRunner.query(`DROP FUNCTION demand_search_vector_update()`);
    await queryRunner.query(`ALTER TABLE "demand" DROP COLUMN "search_vector"`);
    await queryRunner.query(`DROP FUNCTION parvis_demand_search_query(text)`);
    await queryRunner.query(`DROP FUNCTION parvis_demand_search_vector(jsonb)`);
    await queryRunner.query(`DROP TEXT SEARCH CONFIGURATION parvis_simple`);
    await queryRunner.query(`DROP TEXT SEARCH CONFIGURATION parvis_french`);
    // btree_gin is left in place, like unaccent: other objects may use it, and it holds no data.
  }
}
