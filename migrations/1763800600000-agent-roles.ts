import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agent roles: which account acts for which collectivity in the back office, and as what. The account is
 * named by its `sub` for the back office's OIDC client (pairwise per client sector: the portal sees another
 * value for the same person). A revoked role keeps its row (`revoked_at`) for the record; at most one active
 * row per account, collectivity and role. Entity: libs/agents/agent-role.entity.ts.
 */
export class AgentRoles1763800600000 implements MigrationInterface {
  name = 'AgentRoles1763800600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "agent_role" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "account_sub" text NOT NULL,
        "account_email" text,
        "collectivity_id" uuid NOT NULL,
        "role" text NOT NULL,
        "functions" text[] NOT NULL,
        "created_at" timestamptz NOT NULL,
        "revoked_at" timestamptz,
        CONSTRAINT "agent_role_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "agent_role_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE RESTRICT,
        CONSTRAINT "agent_role_role_check" CHECK (role IN ('agent', 'administrator', 'platform'))
      )
    `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "agent_role_active_key" ON "agent_role" ("account_sub", "collectivity_id", "role") WHERE revoked_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX "agent_role_collectivity_id_idx" ON "agent_role" ("collectivity_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "agent_role"`);
  }
}
