import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data protection of the territorial account: `identity.deleted_account` keeps, for a year, the (random,
 * meaningless once the account is gone) id and the date of each deleted account, so that partner portals can
 * learn the `sub` to purge through the deleted-accounts service; `account.inactivity_warned_at` records the
 * warning mail sent before an unused account is deleted. Entities: libs/accounts/entities/deleted-account.entity.ts
 * and account.entity.ts.
 */
export class AccountErasure1763801400000 implements MigrationInterface {
  name = 'AccountErasure1763801400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "identity"."deleted_account" (
        "account_id" uuid NOT NULL,
        "deleted_at" timestamptz NOT NULL,
        "reason" text NOT NULL,
        CONSTRAINT "deleted_account_pkey" PRIMARY KEY ("account_id"),
        CONSTRAINT "deleted_account_reason_check" CHECK (reason IN ('request', 'inactivity'))
      )`);
    await queryRunner.query(`CREATE INDEX "deleted_account_deleted_at_idx" ON "identity"."deleted_account" ("deleted_at", "account_id")`);
    await queryRunner.query(`ALTER TABLE "identity"."account" ADD COLUMN "inactivity_warned_at" timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "identity"."account" DROP COLUMN "inactivity_warned_at"`);
    await queryRunner.query(`DROP TABLE "identity"."deleted_account"`);
  }
}
