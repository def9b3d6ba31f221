import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The téléservice engine (libs/teleservices, libs/demands): téléservices and their versions, demands with
 * their history, messages and attachments, citizens' drafts and partners' API keys.
 *
 * Guarantees held by PostgreSQL itself (see docs/tenancy.md):
 * - a published `teleservice_version` is immutable (trigger, SQLSTATE PV001); at most one draft per
 *   téléservice (partial unique index);
 * - `demand_event` is append-only (trigger, SQLSTATE PV002), except that its collectivity follows a re-routed
 *   demand (ON UPDATE CASCADE) and an explicit, platform-only history rewrite (`parvis.history_rewrite`);
 * - tenant isolation: row-level security on demand, demand_event, demand_message, attachment and draft, FORCEd
 *   so that the table owner is subject to it too. Tenant transactions `SET LOCAL ROLE parvis_tenant` and set
 *   transaction-local `parvis.*` settings (libs/demands `withTenant`).
 *
 * The role `parvis_tenant` is cluster-wide: created if missing (concurrent migrations of several databases
 * tolerate each other) and never dropped by `down`, as other databases of the cluster may use it.
 * Entities declare exactly these constraint and index names (libs/db/schema.int-spec.ts compares them).
 */
export class Engine1763800300000 implements MigrationInterface {
  name = 'Engine1763800300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "teleservice" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "instance_id" uuid NOT NULL,
        "collectivity_id" uuid NOT NULL,
        "slug" text NOT NULL,
        "kind" text NOT NULL,
        "title" text NOT NULL,
        "summary" text NOT NULL,
        "description" text,
        "theme" text,
        "anonymous_allowed" boolean NOT NULL DEFAULT false,
        "routing_rule" jsonb,
        "pack_source_id" uuid,
        "opens_at" timestamptz,
        "closes_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "archived_at" timestamptz,
        CONSTRAINT "teleservice_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "teleservice_instance_id_slug_key" UNIQUE ("instance_id", "slug"),
        CONSTRAINT "teleservice_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instance" ("id") ON DELETE RESTRICT,
        CONSTRAINT "teleservice_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE RESTRICT,
        CONSTRAINT "teleservice_pack_source_id_fkey" FOREIGN KEY ("pack_source_id") REFERENCES "teleservice" ("id") ON DELETE RESTRICT,
        CONSTRAINT "teleservice_kind_check" CHECK (kind IN ('communal', 'metropolitan', 'mutualised', 'catalogue_pack')),
        CONSTRAINT "teleservice_slug_check" CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
        CONSTRAINT "teleservice_routing_rule_check" CHECK (
          (kind = 'mutualised' AND COALESCE(jsonb_typeof(routing_rule) = 'object'
            AND routing_rule->>'by' IN ('map_point', 'address', 'postcode', 'commune')
            AND jsonb_typeof(routing_rule->'field') = 'string', false))
          OR (kind <> 'mutualised' AND routing_rule IS NULL)
        ),
        CONSTRAINT "teleservice_pack_source_check" CHECK (pack_source_id IS NULL OR kind <> 'catalogue_pack'),
        CONSTRAINT "teleservice_dates_check" CHECK (opens_at IS NULL OR closes_at IS NULL OR closes_at > opens_at)
      )`);
    await queryRunner.query(`CREATE INDEX "teleservice_collectivity_id_idx" ON "teleservice" ("collectivity_id")`);

    await queryRunner.query(`
      CREATE TABLE "teleservice_version" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "teleservice_id" uuid NOT NULL,
        "number" integer NOT NULL,
        "state" text NOT NULL,
        "form" jsonb NOT NULL,
        "workflow" jsonb NOT NULL,
        "data_sources" jsonb NOT NULL,
        "checksum" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "published_at" timestamptz,
        "published_by" text,
        CONSTRAINT "teleservice_version_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "teleservice_version_teleservice_id_number_key" UNIQUE ("teleservice_id", "number"),
        CONSTRAINT "teleservice_version_teleservice_id_fkey" FOREIGN KEY ("teleservice_id") REFERENCES "teleservice" ("id") ON DELETE RESTRICT,
        CONSTRAINT "teleservice_version_state_check" CHECK (state IN ('draft', 'published')),
        CONSTRAINT "teleservice_version_number_check" CHECK (number >= 1),
        CONSTRAINT "teleservice_version_checksum_check" CHECK (checksum ~ '^[0-9a-f]{64}$'),
        CONSTRAINT "teleservice_version_published_check" CHECK ((state = 'published') = (published_at IS NOT NULL))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "teleservice_version_draft_key" ON "teleservice_version" ("teleservice_id") WHERE state = 'draft'`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "teleservice_version_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.state = 'published' THEN
          RAISE EXCEPTION 'teleservice_version % (number %) is published and immutable: % refused', OLD.id, OLD.number, TG_OP
            USING ERRCODE = 'PV001', HINT = 'Create a new draft version instead.';
        END IF;
        IF TG_OP = 'DELETE' THEN
          RETURN OLD;
        END IF;
        RETURN NEW;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER "teleservice_version_guard_trigger" BEFORE UPDATE OR DELETE ON "teleservice_version"
      FOR EACH ROW EXECUTE FUNCTION "teleservice_version_guard"()`);

    await queryRunner.query(`
      CREATE TABLE "demand" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "collectivity_id" uuid NOT NULL,
        "teleservice_id" uuid NOT NULL,
        "version_id" uuid NOT NULL,
        "tracking_code" text NOT NULL,
        "access_secret_hash" text,
        "account_sub" text,
        "channel" text NOT NULL,
        "submitted_by_agent" text,
        "data" jsonb NOT NULL,
        "backoffice_data" jsonb NOT NULL,
        "status" text NOT NULL,
        "status_entered_at" timestamptz NOT NULL,
        "assigned_function" text,
        "assigned_agent" text,
        "lock_version" integer NOT NULL DEFAULT 1,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "submitted_at" timestamptz NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "closed_at" timestamptz,
        "anonymised_at" timestamptz,
        CONSTRAINT "demand_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "demand_tracking_code_key" UNIQUE ("tracking_code"),
        CONSTRAINT "demand_id_collectivity_id_key" UNIQUE ("id", "collectivity_id"),
        CONSTRAINT "demand_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE RESTRICT,
        CONSTRAINT "demand_teleservice_id_fkey" FOREIGN KEY ("teleservice_id") REFERENCES "teleservice" ("id") ON DELETE RESTRICT,
        CONSTRAINT "demand_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "teleservice_version" ("id") ON DELETE RESTRICT,
        CONSTRAINT "demand_channel_check" CHECK (channel IN ('web', 'counter', 'phone', 'mail', 'email', 'api')),
        CONSTRAINT "demand_agent_channel_check" CHECK (channel NOT IN ('counter', 'phone', 'mail', 'email') OR submitted_by_agent IS NOT NULL),
        CONSTRAINT "demand_tracking_code_check" CHECK (tracking_code ~ '^[2-9A-HJKMNP-Z]{10}$'),
        CONSTRAINT "demand_access_secret_hash_check" CHECK (access_secret_hash ~ '^[0-9a-f]{64}$'),
        CONSTRAINT "demand_lock_version_check" CHECK (lock_version >= 1)
      )`);
    await queryRunner.query(`CREATE INDEX "demand_inbox_idx" ON "demand" ("collectivity_id", "status", "submitted_at", "id")`);
    await queryRunner.query(`CREATE INDEX "demand_collectivity_submitted_idx" ON "demand" ("collectivity_id", "submitted_at", "id")`);
    await queryRunner.query(
      `CREATE INDEX "demand_account_idx" ON "demand" ("account_sub", "updated_at") WHERE account_sub IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "demand_version_id_idx" ON "demand" ("version_id")`);

    await queryRunner.query(`
      CREATE TABLE "demand_event" (
        "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
        "demand_id" uuid NOT NULL,
        "collectivity_id" uuid NOT NULL,
        "at" timestamptz NOT NULL,
        "kind" text NOT NULL,
        "actor" jsonb NOT NULL,
        "visibility" text NOT NULL,
        "status_from" text,
        "status_to" text,
        "payload" jsonb NOT NULL,
        CONSTRAINT "demand_event_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "demand_event_demand_fkey" FOREIGN KEY ("demand_id", "collectivity_id")
          REFERENCES "demand" ("id", "collectivity_id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "demand_event_visibility_check" CHECK (visibility IN ('citizen', 'internal')),
        CONSTRAINT "demand_event_kind_check" CHECK (kind ~ '^[a-z][a-z0-9_.]*$')
      )`);
    await queryRunner.query(`CREATE INDEX "demand_event_demand_id_idx" ON "demand_event" ("demand_id", "id")`);
    await queryRunner.query(`
      CREATE FUNCTION "demand_event_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- A re-routed demand takes its history along (ON UPDATE CASCADE of the collectivity): nothing else changes.
        IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'collectivity_id') = (to_jsonb(OLD) - 'collectivity_id') THEN
          RETURN NEW;
        END IF;
        -- Anonymisation and purge: platform-only (parvis_tenant holds no UPDATE/DELETE grant on this table).
        IF current_setting('parvis.history_rewrite', true) = 'on' THEN
          IF TG_OP = 'DELETE' THEN
            RETURN OLD;
          END IF;
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'demand_event is append-only: % refused', TG_OP
          USING ERRCODE = 'PV002', HINT = 'Append a new event instead.';
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER "demand_event_guard_trigger" BEFORE UPDATE OR DELETE ON "demand_event"
      FOR EACH ROW EXECUTE FUNCTION "demand_event_guard"()`);

    await queryRunner.query(`
      CREATE TABLE "demand_message" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "demand_id" uuid NOT NULL,
        "collectivity_id" uuid NOT NULL,
        "author" jsonb NOT NULL,
        "body" text NOT NULL,
        "visibility" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "demand_message_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "demand_message_demand_fkey" FOREIGN KEY ("demand_id", "collectivity_id")
          REFERENCES "demand" ("id", "collectivity_id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "demand_message_visibility_check" CHECK (visibility IN ('citizen', 'internal')),
        CONSTRAINT "demand_message_body_check" CHECK (length(body) > 0)
      )`);
    await queryRunner.query(`CREATE INDEX "demand_message_demand_id_idx" ON "demand_message" ("demand_id", "created_at")`);

    await queryRunner.query(`
      CREATE TABLE "attachment" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "demand_id" uuid NOT NULL,
        "collectivity_id" uuid NOT NULL,
        "field_id" text,
        "message_id" uuid,
        "storage_key" text NOT NULL,
        "file_name" text NOT NULL,
        "mime_type" text NOT NULL,
        "size_bytes" integer NOT NULL,
        "sha256" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "attachment_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "attachment_storage_key_key" UNIQUE ("storage_key"),
        CONSTRAINT "attachment_demand_fkey" FOREIGN KEY ("demand_id", "collectivity_id")
          REFERENCES "demand" ("id", "collectivity_id") ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT "attachment_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "demand_message" ("id") ON DELETE CASCADE,
        CONSTRAINT "attachment_owner_check" CHECK (field_id IS NULL OR message_id IS NULL),
        CONSTRAINT "attachment_size_bytes_check" CHECK (size_bytes >= 0),
        CONSTRAINT "attachment_sha256_check" CHECK (sha256 ~ '^[0-9a-f]{64}$')
      )`);
    await queryRunner.query(`CREATE INDEX "attachment_demand_id_idx" ON "attachment" ("demand_id")`);
    await queryRunner.query(`CREATE INDEX "attachment_message_id_idx" ON "attachment" ("message_id") WHERE message_id IS NOT NULL`);

    await queryRunner.query(`
      CREATE TABLE "draft" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "account_sub" text NOT NULL,
        "teleservice_id" uuid NOT NULL,
        "version_id" uuid NOT NULL,
        "data" jsonb NOT NULL,
        "current_page" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        CONSTRAINT "draft_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "draft_teleservice_id_fkey" FOREIGN KEY ("teleservice_id") REFERENCES "teleservice" ("id") ON DELETE RESTRICT,
        CONSTRAINT "draft_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "teleservice_version" ("id") ON DELETE RESTRICT
      )`);
    await queryRunner.query(`CREATE INDEX "draft_account_sub_idx" ON "draft" ("account_sub", "updated_at")`);
    await queryRunner.query(`CREATE INDEX "draft_expires_at_idx" ON "draft" ("expires_at")`);

    await queryRunner.query(`
      CREATE TABLE "api_key" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "collectivity_id" uuid NOT NULL,
        "name" text NOT NULL,
        "key_prefix" text NOT NULL,
        "secret_hash" text NOT NULL,
        "scopes" text[] NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "last_used_at" timestamptz,
        "revoked_at" timestamptz,
        CONSTRAINT "api_key_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "api_key_key_prefix_key" UNIQUE ("key_prefix"),
        CONSTRAINT "api_key_collectivity_id_fkey" FOREIGN KEY ("collectivity_id") REFERENCES "collectivity" ("id") ON DELETE RESTRICT,
        CONSTRAINT "api_key_key_prefix_check" CHECK (key_prefix ~ '^[a-z0-9]{10}$'),
        CONSTRAINT "api_key_secret_hash_check" CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
        CONSTRAINT "api_key_scopes_check" CHECK (cardinality(scopes) > 0)
      )`);
    await queryRunner.query(`CREATE INDEX "api_key_collectivity_id_idx" ON "api_key" ("collectivity_id")`);

    await this.tenancyUp(queryRunner);
  }

  /** Role, grants, scope functions and row-level security policies (docs/tenancy.md). */
  private async tenancyUp(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parvis_tenant') THEN
          CREATE ROLE "parvis_tenant" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
        END IF;
      EXCEPTION
        -- Another database of the cluster is being migrated at the same time and created it first.
        WHEN duplicate_object OR unique_violation THEN NULL;
      END
      $$`);
    // The application's own login role (the one migrating) may then `SET ROLE parvis_tenant`, superuser or not.
    await queryRunner.query(`GRANT "parvis_tenant" TO CURRENT_USER`);
    await queryRunner.query(`
      DO $$
      BEGIN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO "parvis_tenant"', current_schema());
      END
      $$`);
    await queryRunner.query(
      `GRANT SELECT ON "collectivity", "membership", "instance", "teleservice", "teleservice_version" TO "parvis_tenant"`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON "demand", "demand_message", "attachment" TO "parvis_tenant"`);
    await queryRunner.query(`GRANT SELECT, INSERT ON "demand_event" TO "parvis_tenant"`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON "draft" TO "parvis_tenant"`);
    // Writes decided in a tenant transaction enqueue their jobs there (OutboxService.add: INSERT … ON CONFLICT
    // ("job_key") DO NOTHING RETURNING "id", which needs SELECT on those two columns — not on the payloads).
    await queryRunner.query(`GRANT INSERT, SELECT ("id", "job_key") ON "outbox_message" TO "parvis_tenant"`);

    // The actor's scope, read from transaction-local settings; '' (a setting reset at transaction end) is no scope.
    await queryRunner.query(`
      CREATE FUNCTION "tenant_collectivity_ids"() RETURNS uuid[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT string_to_array(NULLIF(current_setting('parvis.collectivity_ids', true), ''), ',')::uuid[]
      $$`);
    await queryRunner.query(`
      CREATE FUNCTION "tenant_account_sub"() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT NULLIF(current_setting('parvis.account_sub', true), '')
      $$`);
    await queryRunner.query(`
      CREATE FUNCTION "tenant_demand_id"() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT NULLIF(current_setting('parvis.demand_id', true), '')::uuid
      $$`);
    await queryRunner.query(`
      CREATE FUNCTION "tenant_is_platform"() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT COALESCE(current_setting('parvis.platform', true) = 'on', false) AND current_user <> 'parvis_tenant'
      $$`);

    for (const table of ['demand', 'demand_event', 'demand_message', 'attachment', 'draft']) {
      await queryRunner.query(`ALTER TABLE "${table}" ENABLE ROW LEVEL SECURITY`);
      await queryRunner.query(`ALTER TABLE "${table}" FORCE ROW LEVEL SECURITY`);
      // Platform scope (worker, system jobs) when the application's role is not a superuser (superusers bypass
      // RLS). Any role but parvis_tenant: a tenant transaction cannot widen itself by setting parvis.platform.
      await queryRunner.query(`CREATE POLICY "${table}_platform" ON "${table}" USING (tenant_is_platform())`);
    }

    await queryRunner.query(
      `CREATE POLICY "demand_agent" ON "demand" TO "parvis_tenant" USING (collectivity_id = ANY (tenant_collectivity_ids()))`,
    );
    await queryRunner.query(`CREATE POLICY "demand_citizen" ON "demand" TO "parvis_tenant" USING (account_sub = tenant_account_sub())`);
    await queryRunner.query(`CREATE POLICY "demand_tracking" ON "demand" TO "parvis_tenant" USING (id = tenant_demand_id())`);

    // Children of a demand: agents by collectivity; citizens and tracking-code holders only what is meant for them.
    for (const table of ['demand_event', 'demand_message']) {
      await queryRunner.query(
        `CREATE POLICY "${table}_agent" ON "${table}" TO "parvis_tenant" USING (collectivity_id = ANY (tenant_collectivity_ids()))`,
      );
      await queryRunner.query(`
        CREATE POLICY "${table}_citizen" ON "${table}" TO "parvis_tenant" USING (
          visibility = 'citizen'
          AND EXISTS (SELECT 1 FROM "demand" d WHERE d.id = "${table}".demand_id AND d.account_sub = tenant_account_sub())
        )`);
      await queryRunner.query(
        `CREATE POLICY "${table}_tracking" ON "${table}" TO "parvis_tenant" USING (visibility = 'citizen' AND demand_id = tenant_demand_id())`,
      );
    }
    await queryRunner.query(
      `CREATE POLICY "attachment_agent" ON "attachment" TO "parvis_tenant" USING (collectivity_id = ANY (tenant_collectivity_ids()))`,
    );
    // An attachment of an internal message stays internal: the message subquery is itself filtered by its policies.
    await queryRunner.query(`
      CREATE POLICY "attachment_citizen" ON "attachment" TO "parvis_tenant" USING (
        (tenant_account_sub() IS NOT NULL OR tenant_demand_id() IS NOT NULL)
        AND EXISTS (SELECT 1 FROM "demand" d WHERE d.id = attachment.demand_id
                      AND (d.account_sub = tenant_account_sub() OR d.id = tenant_demand_id()))
        AND (message_id IS NULL OR EXISTS (SELECT 1 FROM "demand_message" m WHERE m.id = attachment.message_id))
      )`);
    await queryRunner.query(`CREATE POLICY "draft_citizen" ON "draft" TO "parvis_tenant" USING (account_sub = tenant_account_sub())`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Dropping the tables drops their policies and triggers; the role stays (cluster-wide, see above).
    await queryRunner.query(`REVOKE ALL ON "outbox_message" FROM "parvis_tenant"`);
    await queryRunner.query(`REVOKE ALL ON "collectivity", "membership", "instance" FROM "parvis_tenant"`);
    await queryRunner.query(`DROP TABLE "api_key"`);
    await queryRunner.query(`DROP TABLE "draft"`);
    await queryRunner.query(`DROP TABLE "attachment"`);
    await queryRunner.query(`DROP TABLE "demand_message"`);
    await queryRunner.query(`DROP TABLE "demand_event"`);
    await queryRunner.query(`DROP TABLE "demand"`);
    await queryRunner.query(`DROP TABLE "teleservice_version"`);
    await queryRunner.query(`DROP TABLE "teleservice"`);
    await queryRunner.query(`DROP FUNCTION "demand_event_guard"()`);
    await queryRunner.query(`DROP FUNCTION "teleservice_version_guard"()`);
    await queryRunner.query(`DROP FUNCTION "tenant_is_platform"()`);
    await queryRunner.query(`DROP FUNCTION "tenant_demand_id"()`);
    await queryRunner.query(`DROP FUNCTION "tenant_account_sub"()`);
    await queryRunner.query(`DROP FUNCTION "tenant_collectivity_ids"()`);
    await queryRunner.query(`
      DO $$
      BEGIN
        EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM "parvis_tenant"', current_schema());
      END
      $$`);
  }
}
