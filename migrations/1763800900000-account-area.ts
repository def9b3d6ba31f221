import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account area of the territorial account: a change of email address is confirmed by a single-use link sent
 * to the new address. The token row carries that new address (`new_email`), which is set exactly for the
 * `change_email` purpose. Entity: libs/accounts/entities/account-token.entity.ts.
 */
export class AccountArea1763800900000 implements MigrationInterface {
  name = 'AccountArea1763800900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "identity"."account_token" ADD COLUMN "new_email" text`);
    await queryRunner.query(`ALTER TABLE "identity"."account_token" DROP CONSTRAINT "account_token_purpose_check"`);
    await queryRunner.query(
      `ALTER TABLE "identity"."account_token" ADD CONSTRAINT "account_token_purpose_check" CHECK (purpose IN ('verify_email', 'reset_password', 'change_email'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "identity"."account_token" ADD CONSTRAINT "account_token_new_email_check" CHECK ((purpose = 'change_email') = (new_email IS NOT NULL))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "identity"."account_token" WHERE purpose = 'change_email'`);
    await queryRunner.query(`ALTER TABLE "identity"."account_token" DROP CONSTRAINT "account_token_new_email_check"`);
    await queryRunner.query(`ALTER TABLE "identity"."account_token" DROP CONSTRAINT "account_token_purpose_check"`);
    await queryRunner.query(
      `ALTER TABLE "identity"."account_token" ADD CONSTRAINT "account_token_purpose_check" CHECK (purpose IN ('verify_email', 'reset_password'))`,
    );
    await queryRunner.query(`ALTER TABLE "identity"."account_token" DROP COLUMN "new_email"`);
  }
}
