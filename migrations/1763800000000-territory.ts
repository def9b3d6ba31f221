import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Territory: collectivities (the metropolis and its communes), their memberships (service × offer ×
 * dates) and their instances (production / test). Closed vocabularies are `text` + named CHECK.
 * Entities in libs/territory declare exactly these names; the schema check (libs/db/schema.int-spec.ts)
 * fails when they drift apart.
 */
export class Territory1763800000000 implements MigrationInterface {
  name = 'Territory1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "collectivity" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "kind" text NOT NULL,
        "insee_code" character varying(5),
        "siren" character varying(9) NOT NULL,
        "name" text NOT NULL,
        "slug" text NOT NULL,
        "population" integer NOT NULL,
        "postcodes" text[] NOT NULL,
        "parent_id" uuid,
        "boundary" jsonb,
        "min_lon" double precision,
        "min_lat" double precision,
        "max_lon" double precision,
        "max_lat" double precision,
        "contact_email" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "collectivity_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "collectivity_insee_code_key" UNIQUE ("insee_code"),
        CONSTRAINT "collectivity_siren_key" UNIQUE ("siren"),
        CONSTRAINT "collectivity_slug_key" UNIQUE ("slug"),
        CONSTRAINT "collectivity_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "collectivity" ("id") ON DELETE RESTRICT,
        CONSTRAINT "collectivity_kind_check" CHECK (kind IN ('metropolis', 'commune')),
        CONSTRAINT "collectivity_shape_check" CHECK (
          (kind = 'metropolis' AND insee_code IS NULL AND parent_id IS NULL)
          OR (kind = 'commune' AND insee_code IS NOT NULL AND parent_id IS NOT NULL AND cardinality(postcodes) > 0)
        ),
        CONSTRAINT "collectivity_insee_code_check" CHECK (insee_code ~ '^[0-9][0-9AB][0-9]{3}$'),
        CONSTRAINT "collectivity_siren_check" CHECK (siren ~ '^[0-9]{9}$'),
        CONSTRAINT "collectivity_slug_check" CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
        CONSTRAINT "collectivity_population_check" CHECK (population >= 0),
        CONSTRAINT "collectivity_bbox_check" CHECK (
          (boundary IS NULL AND min_lon IS NULL AND min_lat IS NULL AND max_lon IS NULL AND max_lat IS NULL)
          OR (boundary IS NOT NULL AND min_lon <= max_lon AND min_lat <= max_lat)
        )
      )
    `);

    await queryRunner.query(`
      CREATE TABLE "membership" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "collectivity_id" uuid NOT NULL,
        "service" text NOT NULL,
        "offer" text,
        "starts_on" date NOT NULL,
        "ends_on" date,
        "signed_on" date,
        "contact_email" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "membership_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "membership_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE RESTRICT,
        CONSTRAINT "membership_service_check" CHECK (service IN ('counter', 'school_workspace')),
        CONSTRAINT "membership_offer_check" CHECK (
          (service = 'counter' AND offer IS NOT NULL AND offer IN ('partenaire', 'abonne', 'connecte'))
          OR (service = 'school_workspace' AND offer IS NULL)
        ),
        CONSTRAINT "membership_dates_check" CHECK (ends_on IS NULL OR ends_on > starts_on)
      )
    `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "membership_current_key" ON "membership" ("collectivity_id", "service") WHERE ends_on IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE "instance" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "collectivity_id" uuid NOT NULL,
        "environment" text NOT NULL,
        "slug" text NOT NULL,
        "status" text NOT NULL DEFAULT 'active',
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "decommissioned_at" timestamptz,
        CONSTRAINT "instance_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "instance_slug_key" UNIQUE ("slug"),
        CONSTRAINT "instance_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE RESTRICT,
        CONSTRAINT "instance_environment_check" CHECK (environment IN ('production', 'test')),
        CONSTRAINT "instance_status_check" CHECK (status IN ('active', 'decommissioned')),
        CONSTRAINT "instance_slug_check" CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
        CONSTRAINT "instance_decommissioned_check" CHECK ((status = 'decommissioned') = (decommissioned_at IS NOT NULL))
      )
    `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "instance_active_key" ON "instance" ("collectivity_id", "environment") WHERE status = 'active'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "instance"`);
    await queryRunner.query(`DROP TABLE "membership"`);
    await queryRunner.query(`DROP TABLE "collectivity"`);
  }
}
