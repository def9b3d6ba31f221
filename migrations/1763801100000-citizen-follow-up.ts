import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The portal's citizen follow-up (« Mes démarches », notification centre): the unread counter shown in the header
 * of every page of a logged-in citizen is one count over this partial index (unread rows are few; read ones are
 * skipped). Entity: libs/notifications/portal/notification.entity.ts.
 */
export class CitizenFollowUp1763801100000 implements MigrationInterface {
  name = 'CitizenFollowUp1763801100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "notification_unread_idx" ON "notification" ("account_sub") WHERE read_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "notification_unread_idx"`);
  }
}
