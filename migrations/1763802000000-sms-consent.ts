import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SMS to the citizen from their account (issue 6, docs/worker.md § SMS):
 * - `identity.account.sms_consent` / `sms_consent_at`: the explicit, revocable choice « Recevoir les SMS de suivi de
 *   mes démarches » and when it was last made (entity: libs/accounts/entities/account.entity.ts);
 * - `citizen_sms_subject`: the portal's pairwise subject of an account, so that `sms.send` reads the account's
 *   current number and choice when it runs (entity: libs/notifications/sms/citizen-sms-subject.entity.ts).
 *   Platform only (no grant to parvis_tenant); deleted with the account.
 */
export class SmsConsent1763802000000 implements MigrationInterface {
  name = 'SmsConsent1763802000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "identity"."account" ADD "sms_consent" boolean NOT NULL DEFAULT false, ADD "sms_consent_at" timestamptz`);
    await queryRunner.query(`
      CREATE TABLE "citizen_sms_subject" (
        "account_sub" text NOT NULL,
        "account_id" uuid NOT NULL,
        "linked_at" timestamptz NOT NULL,
        CONSTRAINT "citizen_sms_subject_pkey" PRIMARY KEY ("account_sub"),
        CONSTRAINT "citizen_sms_subject_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "identity"."account" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "citizen_sms_subject_account_id_idx" ON "citizen_sms_subject" ("account_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "citizen_sms_subject"`);
    await queryRunner.query(`ALTER TABLE "identity"."account" DROP COLUMN "sms_consent_at", DROP COLUMN "sms_consent"`);
  }
}
