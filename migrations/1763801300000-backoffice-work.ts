import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Saved views of the back office's listings (issue 7). `saved_view` rows belong to one collectivity and one owner
 * (the agent's back-office `sub`): `private` ones are seen by their owner only, `shared` ones by every agent of the
 * collectivity; only the owner changes or deletes a view. Row-level security like the demands' tables, plus the
 * owner, read from the transaction-local setting `parvis.agent_sub` (`tenant_agent_sub()`), which the saved views'
 * repository sets in each of its transactions. Entity: libs/demands/queries/agent-saved-view.entity.ts.
 *
 * Bulk operations (`bulk_operation`): an agent's action on a selection of demands (assign, or a workflow action),
 * run by the `demands.bulk` job with its progress on the row. The agent's scope reads and creates only its own
 * operations within its collectivities; the worker updates them in platform scope.
 * Entity: libs/demands/queries/agent-bulk-operation.entity.ts.
 */
export class BackofficeWork1763801300000 implements MigrationInterface {
  name = 'BackofficeWork1763801300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "saved_view" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "collectivity_id" uuid NOT NULL,
        "owner_sub" text NOT NULL,
        "name" text NOT NULL,
        "visibility" text NOT NULL,
        "query" text NOT NULL,
        "is_default" boolean NOT NULL DEFAULT false,
        "created_at" timestamptz NOT NULL,
        "updated_at" timestamptz NOT NULL,
        CONSTRAINT "saved_view_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "saved_view_owner_name_key" UNIQUE ("owner_sub", "collectivity_id", "name"),
        CONSTRAINT "saved_view_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE CASCADE,
        CONSTRAINT "saved_view_visibility_check" CHECK (visibility IN ('private', 'shared')),
        CONSTRAINT "saved_view_name_check" CHECK (char_length(name) BETWEEN 1 AND 100),
        CONSTRAINT "saved_view_query_check" CHECK (char_length(query) <= 4000)
      )`);
    await queryRunner.query(`CREATE INDEX "saved_view_collectivity_id_idx" ON "saved_view" ("collectivity_id")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "saved_view_default_key" ON "saved_view" ("owner_sub") WHERE is_default`);
    await queryRunner.query(`
      CREATE FUNCTION "tenant_agent_sub"() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT NULLIF(current_setting('parvis.agent_sub', true), '')
      $$`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON "saved_view" TO "parvis_tenant"`);
    await queryRunner.query(`ALTER TABLE "saved_view" ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`ALTER TABLE "saved_view" FORCE ROW LEVEL SECURITY`);
    await queryRunner.query(`CREATE POLICY "saved_view_platform" ON "saved_view" USING (tenant_is_platform())`);
    await queryRunner.query(`
      CREATE POLICY "saved_view_agent_read" ON "saved_view" FOR SELECT TO "parvis_tenant"
        USING (collectivity_id = ANY (tenant_collectivity_ids()) AND (visibility = 'shared' OR owner_sub = tenant_agent_sub()))`);
    await queryRunner.query(`
      CREATE POLICY "saved_view_owner_insert" ON "saved_view" FOR INSERT TO "parvis_tenant"
        WITH CHECK (collectivity_id = ANY (tenant_collectivity_ids()) AND owner_sub = tenant_agent_sub())`);
    await queryRunner.query(`
      CREATE POLICY "saved_view_owner_update" ON "saved_view" FOR UPDATE TO "parvis_tenant"
        USING (collectivity_id = ANY (tenant_collectivity_ids()) AND owner_sub = tenant_agent_sub())`);
    await queryRunner.query(`
      CREATE POLICY "saved_view_owner_delete" ON "saved_view" FOR DELETE TO "parvis_tenant"
        USING (collectivity_id = ANY (tenant_collectivity_ids()) AND owner_sub = tenant_agent_sub())`);

    await queryRunner.query(`
      CREATE TABLE "bulk_operation" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "owner_sub" text NOT NULL,
        "collectivity_ids" uuid[] NOT NULL,
        "kind" text NOT NULL,
        "params" jsonb NOT NULL,
        "demand_ids" uuid[] NOT NULL,
        "status" text NOT NULL,
        "done" integer NOT NULL DEFAULT 0,
        "failed" integer NOT NULL DEFAULT 0,
        "results" jsonb NOT NULL DEFAULT '[]',
        "created_at" timestamptz NOT NULL,
        "updated_at" timestamptz NOT NULL,
        "finished_at" timestamptz,
        CONSTRAINT "bulk_operation_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "bulk_operation_kind_check" CHECK (kind IN ('assign', 'action')),
        CONSTRAINT "bulk_operation_status_check" CHECK (status IN ('pending', 'running', 'done')),
        CONSTRAINT "bulk_operation_demand_ids_check" CHECK (cardinality(demand_ids) BETWEEN 1 AND 500),
        CONSTRAINT "bulk_operation_progress_check" CHECK (done >= 0 AND failed >= 0 AND done + failed <= cardinality(demand_ids))
      )`);
    await queryRunner.query(`CREATE INDEX "bulk_operation_owner_sub_idx" ON "bulk_operation" ("owner_sub", "created_at")`);
    await queryRunner.query(`GRANT SELECT, INSERT ON "bulk_operation" TO "parvis_tenant"`);
    await queryRunner.query(`ALTER TABLE "bulk_operation" ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`ALTER TABLE "bulk_operation" FORCE ROW LEVEL SECURITY`);
    await queryRunner.query(`CREATE POLICY "bulk_operation_platform" ON "bulk_operation" USING (tenant_is_platform())`);
    await queryRunner.query(`
      CREATE POLICY "bulk_operation_owner" ON "bulk_operation" TO "parvis_tenant"
        USING (owner_sub = tenant_agent_sub() AND collectivity_ids <@ tenant_collectivity_ids())`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "bulk_operation"`);
    await queryRunner.query(`DROP TABLE "saved_view"`);
    await queryRunner.query(`DROP FUNCTION "tenant_agent_sub"()`);
  }
}
