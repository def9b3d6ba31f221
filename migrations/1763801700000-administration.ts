import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Administration screens of the back office (issue 7, docs/administration.md):
 * - `collectivity_branding`: what a collectivity shows of itself (name shown, logo, accent colour), one row per
 *   collectivity. The logo is stored in the row (a few hundred KiB at most, type sniffed from its bytes).
 *   The contact email stays on `collectivity.contact_email` (read by the email relay).
 * - `admin_event`: who did what in administration, and when (roles granted, changed, revoked; branding; offers;
 *   instances; identity clients). Append-only by convention: only inserts are written.
 * - `agent_invitation`: an invitation to an address that has no territorial account yet; the roles are given when
 *   the person, having created their account with that address, first reaches the back office. At most one pending
 *   invitation per address and collectivity.
 * Entities: libs/territory/collectivity-branding.entity.ts, libs/agents/admin-event.entity.ts,
 * libs/agents/agent-invitation.entity.ts.
 */
export class Administration1763801700000 implements MigrationInterface {
  name = 'Administration1763801700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "collectivity_branding" (
        "collectivity_id" uuid NOT NULL,
        "display_name" text,
        "accent_color" text,
        "logo" bytea,
        "logo_media_type" text,
        "updated_at" timestamptz NOT NULL,
        "updated_by" text NOT NULL,
        CONSTRAINT "collectivity_branding_pkey" PRIMARY KEY ("collectivity_id"),
        CONSTRAINT "collectivity_branding_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE CASCADE,
        CONSTRAINT "collectivity_branding_accent_color_check" CHECK (accent_color ~ '^#[0-9a-f]{6}$'),
        CONSTRAINT "collectivity_branding_logo_media_type_check" CHECK (logo_media_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp')),
        CONSTRAINT "collectivity_branding_logo_check" CHECK ((logo IS NULL) = (logo_media_type IS NULL))
      )`);
    await queryRunner.query(`
      CREATE TABLE "admin_event" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "collectivity_id" uuid,
        "actor_sub" text NOT NULL,
        "actor_email" text,
        "action" text NOT NULL,
        "subject" text,
        "details" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL,
        CONSTRAINT "admin_event_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "admin_event_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE RESTRICT
      )`);
    await queryRunner.query(`CREATE INDEX "admin_event_collectivity_id_created_at_idx" ON "admin_event" ("collectivity_id", "created_at")`);
    await queryRunner.query(`
      CREATE TABLE "agent_invitation" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "collectivity_id" uuid NOT NULL,
        "email" text NOT NULL,
        "roles" text[] NOT NULL,
        "functions" text[] NOT NULL,
        "invited_by" text NOT NULL,
        "created_at" timestamptz NOT NULL,
        "closed_at" timestamptz,
        "outcome" text,
        CONSTRAINT "agent_invitation_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "agent_invitation_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE RESTRICT,
        CONSTRAINT "agent_invitation_roles_check" CHECK (cardinality(roles) > 0),
        CONSTRAINT "agent_invitation_outcome_check" CHECK (outcome IN ('accepted', 'cancelled')),
        CONSTRAINT "agent_invitation_closed_check" CHECK ((closed_at IS NULL) = (outcome IS NULL))
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "agent_invitation_pending_key" ON "agent_invitation" ("email", "collectivity_id") WHERE closed_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "agent_invitation"`);
    await queryRunner.query(`DROP TABLE "admin_event"`);
    await queryRunner.query(`DROP TABLE "collectivity_branding"`);
  }
}
