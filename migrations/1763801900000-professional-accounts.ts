import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Professional accounts: mandates of a territorial account to act for a company (SIREN/SIRET), as its leader
 * (dirigeant) or granted by a leader (mandataire). Entity: libs/accounts/professional/company-mandate.entity.ts.
 */
export class ProfessionalAccounts1763801900000 implements MigrationInterface {
  name = 'ProfessionalAccounts1763801900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "identity"."company_mandate" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "account_id" uuid NOT NULL,
        "siren" text NOT NULL,
        "siret" text,
        "denomination" text NOT NULL,
        "role" text NOT NULL,
        "scope" text NOT NULL,
        "status" text NOT NULL,
        "leader_name" text NOT NULL,
        "leader_role" text NOT NULL,
        "leader_email" text,
        "grantor_account_id" uuid,
        "request_token_hash" text,
        "request_expires_at" timestamptz,
        "created_at" timestamptz NOT NULL,
        "active_since" timestamptz,
        "decided_at" timestamptz,
        "revoked_at" timestamptz,
        "revoked_by" text,
        CONSTRAINT "company_mandate_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "company_mandate_request_token_hash_key" UNIQUE ("request_token_hash"),
        CONSTRAINT "company_mandate_role_check" CHECK (role IN ('dirigeant', 'mandataire')),
        CONSTRAINT "company_mandate_status_check" CHECK (status IN ('pending', 'active', 'refused', 'revoked', 'expired')),
        CONSTRAINT "company_mandate_scope_check" CHECK (scope IN ('demarches', 'suivi')),
        CONSTRAINT "company_mandate_revoked_by_check" CHECK (revoked_by IN ('holder', 'grantor')),
        CONSTRAINT "company_mandate_siren_check" CHECK (siren ~ '^[0-9]{9}$' AND (siret IS NULL OR siret ~ '^[0-9]{14}$')),
        CONSTRAINT "company_mandate_request_check" CHECK ((role = 'mandataire') = (leader_email IS NOT NULL)),
        CONSTRAINT "company_mandate_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "identity"."account" ("id") ON DELETE CASCADE,
        CONSTRAINT "company_mandate_grantor_account_id_fkey" FOREIGN KEY ("grantor_account_id") REFERENCES "identity"."account" ("id") ON DELETE SET NULL
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "company_mandate_open_key" ON "identity"."company_mandate" ("account_id", "siren") WHERE status IN ('pending', 'active')`,
    );
    await queryRunner.query(`CREATE INDEX "company_mandate_grantor_account_id_idx" ON "identity"."company_mandate" ("grantor_account_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "identity"."company_mandate"`);
  }
}
