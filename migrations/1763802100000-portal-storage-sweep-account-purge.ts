import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The portal's housekeeping:
 * - `staged_upload`: every file the portal stages in the attachment storage (a form's upload, before the demand
 *   exists) with the instant it was staged. The storage sweep (`schedule.storage-sweep`) deletes the staged files
 *   older than a day that no live draft references (abandoned anonymous forms, JavaScript uploads never sent),
 *   then their rows. Only these rows are candidates: the demands' attachments and other stored files never are.
 * - `account_purge_cursor`: per OIDC client, where the account purge (`schedule.account-purge`) stands in the
 *   identity's deleted-accounts service (`suite` of the last page read).
 * Platform tables (worker and portal process, never a tenant role). Entities:
 * libs/demands/storage/storage-sweep.entity.ts, libs/demands/account-purge/account-purge.entity.ts.
 */
export class PortalStorageSweepAccountPurge1763802100000 implements MigrationInterface {
  name = 'PortalStorageSweepAccountPurge1763802100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "staged_upload" (
        "storage_key" text NOT NULL,
        "staged_at" timestamptz NOT NULL,
        CONSTRAINT "staged_upload_pkey" PRIMARY KEY ("storage_key")
      )`);
    await queryRunner.query(`CREATE INDEX "staged_upload_staged_at_idx" ON "staged_upload" ("staged_at")`);
    await queryRunner.query(`
      CREATE TABLE "account_purge_cursor" (
        "client_id" text NOT NULL,
        "after" text,
        "purged_accounts" integer NOT NULL DEFAULT 0,
        "updated_at" timestamptz NOT NULL,
        CONSTRAINT "account_purge_cursor_pkey" PRIMARY KEY ("client_id")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "account_purge_cursor"`);
    await queryRunner.query(`DROP TABLE "staged_upload"`);
  }
}
