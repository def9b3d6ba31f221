import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The territorial account (libs/accounts, apps/identity), in its own PostgreSQL schema `identity`:
 * accounts, OIDC clients, consents, single-use mail tokens, the provider's short-lived artefacts and the
 * ID-token signing keys. Entities in libs/accounts/entities declare exactly these names.
 */
export class Identity1763800200000 implements MigrationInterface {
  name = 'Identity1763800200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "identity"`);
    await queryRunner.query(`
      CREATE TABLE "identity"."account" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "email" text NOT NULL,
        "email_verified_at" timestamptz,
        "password_hash" text,
        "given_name" text,
        "family_name" text,
        "preferred_username" text,
        "birthdate" date,
        "gender" text,
        "phone" text,
        "address" jsonb,
        "certification_level" text NOT NULL,
        "certification_source" text,
        "certified_attributes" text[] NOT NULL,
        "failing_email" boolean NOT NULL DEFAULT false,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "last_login_at" timestamptz,
        CONSTRAINT "account_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "account_email_key" UNIQUE ("email"),
        CONSTRAINT "account_email_check" CHECK (email = lower(email)),
        CONSTRAINT "account_certification_level_check" CHECK (certification_level IN ('none', 'eidas1')),
        CONSTRAINT "account_certification_source_check" CHECK (
          (certification_level = 'none' AND certification_source IS NULL)
          OR (certification_level <> 'none' AND certification_source IS NOT NULL)
        )
      )`);
    await queryRunner.query(`
      CREATE TABLE "identity"."oidc_client" (
        "client_id" text NOT NULL,
        "name" text NOT NULL,
        "secret_encrypted" text,
        "secret_rotated_at" timestamptz,
        "token_endpoint_auth_method" text NOT NULL,
        "redirect_uris" text[] NOT NULL,
        "post_logout_redirect_uris" text[] NOT NULL,
        "backchannel_logout_uri" text,
        "allowed_scopes" text[] NOT NULL,
        "consent_required" boolean NOT NULL,
        "collectivity_id" uuid,
        "purpose" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "oidc_client_pkey" PRIMARY KEY ("client_id"),
        CONSTRAINT "oidc_client_client_id_check" CHECK (client_id ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
        CONSTRAINT "oidc_client_auth_method_check" CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'none')),
        CONSTRAINT "oidc_client_secret_check" CHECK ((token_endpoint_auth_method = 'none') = (secret_encrypted IS NULL)),
        CONSTRAINT "oidc_client_redirect_uris_check" CHECK (cardinality(redirect_uris) > 0)
      )`);
    await queryRunner.query(`
      CREATE TABLE "identity"."consent" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "account_id" uuid NOT NULL,
        "client_id" text NOT NULL,
        "scopes" text[] NOT NULL,
        "granted_at" timestamptz NOT NULL,
        "expires_at" timestamptz NOT NULL,
        "revoked_at" timestamptz,
        CONSTRAINT "consent_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "consent_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "identity"."account" ("id") ON DELETE CASCADE,
        CONSTRAINT "consent_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "identity"."oidc_client" ("client_id") ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "consent_active_key" ON "identity"."consent" ("account_id", "client_id") WHERE revoked_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX "consent_client_id_idx" ON "identity"."consent" ("client_id")`);
    await queryRunner.query(`
      CREATE TABLE "identity"."account_token" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "account_id" uuid NOT NULL,
        "purpose" text NOT NULL,
        "token_hash" text NOT NULL,
        "created_at" timestamptz NOT NULL,
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        CONSTRAINT "account_token_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "account_token_token_hash_key" UNIQUE ("token_hash"),
        CONSTRAINT "account_token_purpose_check" CHECK (purpose IN ('verify_email', 'reset_password')),
        CONSTRAINT "account_token_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "identity"."account" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX "account_token_account_id_idx" ON "identity"."account_token" ("account_id")`);
    await queryRunner.query(`
      CREATE TABLE "identity"."oidc_artifact" (
        "model" text NOT NULL,
        "id" text NOT NULL,
        "payload" jsonb NOT NULL,
        "grant_id" text,
        "uid" text,
        "user_code" text,
        "expires_at" timestamptz,
        "consumed_at" timestamptz,
        CONSTRAINT "oidc_artifact_pkey" PRIMARY KEY ("model", "id")
      )`);
    await queryRunner.query(`CREATE INDEX "oidc_artifact_grant_id_idx" ON "identity"."oidc_artifact" ("grant_id") WHERE grant_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "oidc_artifact_uid_idx" ON "identity"."oidc_artifact" ("uid") WHERE uid IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX "oidc_artifact_expires_at_idx" ON "identity"."oidc_artifact" ("expires_at") WHERE expires_at IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE "identity"."signing_key" (
        "kid" text NOT NULL,
        "alg" text NOT NULL,
        "private_jwk_encrypted" text NOT NULL,
        "public_jwk" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL,
        "retired_at" timestamptz,
        CONSTRAINT "signing_key_pkey" PRIMARY KEY ("kid")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "identity"."signing_key"`);
    await queryRunner.query(`DROP TABLE "identity"."oidc_artifact"`);
    await queryRunner.query(`DROP TABLE "identity"."account_token"`);
    await queryRunner.query(`DROP TABLE "identity"."consent"`);
    await queryRunner.query(`DROP TABLE "identity"."oidc_client"`);
    await queryRunner.query(`DROP TABLE "identity"."account"`);
    await queryRunner.query(`DROP SCHEMA "identity"`);
  }
}
