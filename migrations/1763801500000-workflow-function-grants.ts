import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Workflow functions per téléservice (issue 4): which agents of a collectivity hold a function (`receiver`, …) of a
 * téléservice's workflow — by back-office role (`agent`, `administrator`) or by account (`account_sub`, the back
 * office client's subject). A téléservice without any row keeps the former rule (a processing role grants every
 * function). Row-level security by collectivity, like the demands: an agent scope reads and writes its
 * collectivities' rows only. Entity: libs/demands/entities/workflow-function-grant.entity.ts.
 */
export class WorkflowFunctionGrants1763801500000 implements MigrationInterface {
  name = 'WorkflowFunctionGrants1763801500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "workflow_function_grant" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "collectivity_id" uuid NOT NULL,
        "teleservice_id" uuid NOT NULL,
        "function_id" text NOT NULL,
        "role" text,
        "account_sub" text,
        "created_at" timestamptz NOT NULL,
        "created_by" text NOT NULL,
        CONSTRAINT "workflow_function_grant_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "workflow_function_grant_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE RESTRICT,
        CONSTRAINT "workflow_function_grant_teleservice_id_fkey" FOREIGN KEY ("teleservice_id") REFERENCES "teleservice" ("id") ON DELETE CASCADE,
        CONSTRAINT "workflow_function_grant_function_id_check" CHECK (function_id ~ '^[a-z][a-z0-9_-]{0,62}$'),
        CONSTRAINT "workflow_function_grant_role_check" CHECK (role IN ('agent', 'administrator')),
        CONSTRAINT "workflow_function_grant_grantee_check" CHECK ((role IS NULL) <> (account_sub IS NULL))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "workflow_function_grant_role_key" ON "workflow_function_grant" ("teleservice_id", "function_id", "role") WHERE role IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "workflow_function_grant_account_key" ON "workflow_function_grant" ("teleservice_id", "function_id", "account_sub") WHERE account_sub IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "workflow_function_grant_collectivity_id_idx" ON "workflow_function_grant" ("collectivity_id")`);
    await queryRunner.query(`GRANT SELECT, INSERT, DELETE ON "workflow_function_grant" TO "parvis_tenant"`);
    await queryRunner.query(`ALTER TABLE "workflow_function_grant" ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`ALTER TABLE "workflow_function_grant" FORCE ROW LEVEL SECURITY`);
    await queryRunner.query(`CREATE POLICY "workflow_function_grant_platform" ON "workflow_function_grant" USING (tenant_is_platform())`);
    await queryRunner.query(
      `CREATE POLICY "workflow_function_grant_agent" ON "workflow_function_grant" TO "parvis_tenant" USING (collectivity_id = ANY (tenant_collectivity_ids()))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "workflow_function_grant"`);
  }
}
