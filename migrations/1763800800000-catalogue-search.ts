import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * French full-text search over the citizen catalogue (libs/teleservices/catalogue-search).
 *
 * - `unaccent` (PostgreSQL contrib, a trusted extension since PostgreSQL 13) is created when possible. Where it
 *   cannot be (contrib missing, no privilege), `parvis_unaccent` falls back to a `translate()` over the Latin
 *   letters French uses; the search then behaves the same for French text.
 * - `parvis_unaccent(text)` is IMMUTABLE (the extension's `unaccent()` is only STABLE, because its dictionary
 *   could change), so that it can be used in expressions and, later, in expression indexes.
 * - `parvis_search_text(text)` normalises for search: lower case, no accents, typographic apostrophes as
 *   spaces, doubled letters collapsed (« déchetterie » and « déchèterie » are the same word).
 * - `parvis_search_vector(title, summary, description, theme, provider)` is the weighted document: French
 *   stems (accents, plurals) plus the unstemmed words (`simple`), title A, theme and provider B, summary B,
 *   description C.
 *
 * No index: the citizen catalogue is a few hundred published téléservices at most, and the provider's name lives
 * in `collectivity`; the vector is computed at query time (a few milliseconds). An expression index would
 * also have to be declared in the entities for the schema check (libs/db/schema.int-spec.ts).
 */
export class CatalogueSearch1763800800000 implements MigrationInterface {
  name = 'CatalogueSearch1763800800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$
      BEGIN
        BEGIN
          CREATE EXTENSION IF NOT EXISTS unaccent;
        EXCEPTION WHEN OTHERS THEN
          RAISE NOTICE 'unaccent unavailable (%), using the translate() fallback', SQLERRM;
        END;
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
          EXECUTE format(
            'CREATE OR REPLACE FUNCTION parvis_unaccent(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
               AS %L',
            format('SELECT %I.unaccent(%L::regdictionary, value)',
              (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'),
              (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent') || '.unaccent'));
        ELSE
          CREATE OR REPLACE FUNCTION parvis_unaccent(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
            AS $f$ SELECT replace(replace(replace(replace(
              translate(value, 'àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸ', 'aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUYY'),
              'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE') $f$;
        END IF;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION parvis_search_text(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT regexp_replace(translate(lower(parvis_unaccent(value)), '’''', '  '), '([a-z])\\1+', '\\1', 'g') $$
    `);
    await queryRunner.query(`
      CREATE FUNCTION parvis_search_vector(title text, summary text, description text, theme text, provider text)
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT
          setweight(to_tsvector('french', parvis_search_text(coalesce(title, ''))) || to_tsvector('simple', parvis_search_text(coalesce(title, ''))), 'A')
          || setweight(to_tsvector('french', parvis_search_text(coalesce(theme, '') || ' ' || coalesce(provider, ''))) || to_tsvector('simple', parvis_search_text(coalesce(theme, '') || ' ' || coalesce(provider, ''))), 'B')
          || setweight(to_tsvector('french', parvis_search_text(coalesce(summary, ''))) || to_tsvector('simple', parvis_search_text(coalesce(summary, ''))), 'B')
          || setweight(to_tsvector('french', parvis_search_text(coalesce(description, ''))) || to_tsvector('simple', parvis_search_text(coalesce(description, ''))), 'C') $$
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION parvis_search_vector(text, text, text, text, text)`);
    await queryRunner.query(`DROP FUNCTION parvis_search_text(text)`);
    await queryRunner.query(`DROP FUNCTION parvis_unaccent(text)`);
    // The extension is left in place: other objects of the database may use it, and it holds no data.
  }
}
