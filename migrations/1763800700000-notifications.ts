import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications and deliveries (issue 6):
 * - `notification`: what the portal shows a logged-in citizen (`account_sub` = the portal client's subject).
 *   Row-level security like drafts: a citizen's scope sees and marks read only their own rows; the worker
 *   writes them in platform scope. Entity: libs/notifications/portal/notification.entity.ts.
 * - `connector_delivery`: a demand to hand to a Connecté commune's own GRU through its connector (the connector
 *   comes later; rows wait `pending` with a JSON snapshot of the demand). Platform only: no tenant grant.
 *   Entity: libs/notifications/delivery/connector-delivery.entity.ts.
 */
export class Notifications1763800700000 implements MigrationInterface {
  name = 'Notifications1763800700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "notification" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "account_sub" text NOT NULL,
        "demand_id" uuid,
        "collectivity_id" uuid NOT NULL,
        "kind" text NOT NULL,
        "title" text NOT NULL,
        "body" text NOT NULL,
        "created_at" timestamptz NOT NULL,
        "read_at" timestamptz,
        CONSTRAINT "notification_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "notification_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE RESTRICT,
        CONSTRAINT "notification_kind_check" CHECK (kind ~ '^[a-z][a-z0-9_.]*$')
      )`);
    await queryRunner.query(`CREATE INDEX "notification_account_sub_idx" ON "notification" ("account_sub", "created_at")`);
    await queryRunner.query(`GRANT SELECT, UPDATE ("read_at") ON "notification" TO "parvis_tenant"`);
    await queryRunner.query(`ALTER TABLE "notification" ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(`ALTER TABLE "notification" FORCE ROW LEVEL SECURITY`);
    await queryRunner.query(`CREATE POLICY "notification_platform" ON "notification" USING (tenant_is_platform())`);
    await queryRunner.query(
      `CREATE POLICY "notification_citizen" ON "notification" TO "parvis_tenant" USING (account_sub = tenant_account_sub())`,
    );

    await queryRunner.query(`
      CREATE TABLE "connector_delivery" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "demand_id" uuid NOT NULL,
        "collectivity_id" uuid NOT NULL,
        "status" text NOT NULL,
        "payload" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL,
        CONSTRAINT "connector_delivery_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "connector_delivery_demand_collectivity_key" UNIQUE ("demand_id", "collectivity_id"),
        CONSTRAINT "connector_delivery_demand_id_fkey" FOREIGN KEY ("demand_id") REFERENCES "demand" ("id") ON DELETE CASCADE,
        CONSTRAINT "connector_delivery_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE RESTRICT,
        CONSTRAINT "connector_delivery_status_check" CHECK (status IN ('pending', 'delivered', 'failed'))
      )`);
    await queryRunner.query(`CREATE INDEX "connector_delivery_status_idx" ON "connector_delivery" ("status", "created_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "connector_delivery"`);
    await queryRunner.query(`DROP TABLE "notification"`);
  }
}
