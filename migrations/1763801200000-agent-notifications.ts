import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agents' notifications (issue 6, docs/worker.md):
 * - `agent_notification_preference`: `instant` (default when absent) or `daily_digest`, per back-office subject.
 *   Entity: libs/notifications/agents/agent-notification-preference.entity.ts.
 * - `agent_digest_item`: lines waiting for an agent's daily digest (unique `item_key`), stamped when sent.
 *   Entity: libs/notifications/agents/agent-digest-item.entity.ts.
 * Both are platform only (no grant to parvis_tenant): the worker and the back office's preference service use them.
 */
export class AgentNotifications1763801200000 implements MigrationInterface {
  name = 'AgentNotifications1763801200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "agent_notification_preference" (
        "account_sub" text NOT NULL,
        "mode" text NOT NULL,
        "updated_at" timestamptz NOT NULL,
        CONSTRAINT "agent_notification_preference_pkey" PRIMARY KEY ("account_sub"),
        CONSTRAINT "agent_notification_preference_mode_check" CHECK (mode IN ('instant', 'daily_digest'))
      )`);
    await queryRunner.query(`
      CREATE TABLE "agent_digest_item" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "account_sub" text NOT NULL,
        "collectivity_id" uuid NOT NULL,
        "demand_id" uuid,
        "item_key" text NOT NULL,
        "title" text NOT NULL,
        "link" text,
        "created_at" timestamptz NOT NULL,
        "digest_key" text,
        "digested_at" timestamptz,
        CONSTRAINT "agent_digest_item_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "agent_digest_item_item_key_key" UNIQUE ("item_key"),
        CONSTRAINT "agent_digest_item_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "agent_digest_item_pending_idx" ON "agent_digest_item" ("account_sub", "created_at") WHERE digested_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "agent_digest_item"`);
    await queryRunner.query(`DROP TABLE "agent_notification_preference"`);
  }
}
