import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox and job receipts (libs/queue). A transaction that decides a job writes an `outbox_message`
 * row; the worker's relay moves unrelayed rows to BullMQ (`FOR UPDATE SKIP LOCKED`, so several relays
 * may run) and marks them. A `job_receipt` proves a job's handler succeeded, so a replay does nothing.
 * An insert notifies channel `parvis_outbox` so the relay wakes at once instead of at its next poll.
 */
export class Outbox1763800100000 implements MigrationInterface {
  name = 'Outbox1763800100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "outbox_message" (
        "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
        "job_name" text NOT NULL,
        "payload" jsonb NOT NULL,
        "job_key" text NOT NULL,
        "correlation_id" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "available_at" timestamptz NOT NULL DEFAULT now(),
        "relayed_at" timestamptz,
        "attempts" integer NOT NULL DEFAULT 0,
        "last_error" text,
        CONSTRAINT "outbox_message_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "outbox_message_job_key_key" UNIQUE ("job_key")
      )`);
    await queryRunner.query(
      `CREATE INDEX "outbox_message_pending_idx" ON "outbox_message" ("available_at", "id") WHERE relayed_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "outbox_message_relayed_at_idx" ON "outbox_message" ("relayed_at") WHERE relayed_at IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE "job_receipt" (
        "job_key" text NOT NULL,
        "job_name" text NOT NULL,
        "completed_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "job_receipt_pkey" PRIMARY KEY ("job_key")
      )`);
    await queryRunner.query(`CREATE INDEX "job_receipt_completed_at_idx" ON "job_receipt" ("completed_at")`);
    await queryRunner.query(`
      CREATE FUNCTION "outbox_message_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('parvis_outbox', '');
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER "outbox_message_notify_trigger" AFTER INSERT ON "outbox_message"
      FOR EACH STATEMENT EXECUTE FUNCTION "outbox_message_notify"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "outbox_message_notify_trigger" ON "outbox_message"`);
    await queryRunner.query(`DROP FUNCTION "outbox_message_notify"()`);
    await queryRunner.query(`DROP TABLE "job_receipt"`);
    await queryRunner.query(`DROP TABLE "outbox_message"`);
  }
}
