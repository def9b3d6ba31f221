import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * FranceConnect federation of the territorial account: which FranceConnect identity (`sub` for our client) is
 * linked to which account, with the birth place and country of the pivot identity. The other certified
 * attributes live in `identity.account` (certification level, source and list already exist there).
 * Entity: libs/accounts/franceconnect/franceconnect-link.entity.ts.
 */
export class FranceConnect1763800500000 implements MigrationInterface {
  name = 'FranceConnect1763800500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "identity"."franceconnect_link" (
        "account_id" uuid NOT NULL,
        "fc_sub" text NOT NULL,
        "birthplace" text NOT NULL,
        "birthcountry" text NOT NULL,
        "linked_at" timestamptz NOT NULL,
        "refreshed_at" timestamptz NOT NULL,
        CONSTRAINT "franceconnect_link_pkey" PRIMARY KEY ("account_id"),
        CONSTRAINT "franceconnect_link_fc_sub_key" UNIQUE ("fc_sub"),
        CONSTRAINT "franceconnect_link_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "identity"."account" ("id") ON DELETE CASCADE
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "identity"."franceconnect_link"`);
  }
}
