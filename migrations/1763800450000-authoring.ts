import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Téléservice authoring (libs/teleservices/authoring, catalogue): per-téléservice settings, a small jsonb
 * object. A commune that deploys a catalogue pack stores there its contact details (the form and workflow
 * are fixed by the metropolis) and the pack version it deployed. NULL means no settings.
 */
export class Authoring1763800450000 implements MigrationInterface {
  name = 'Authoring1763800450000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teleservice" ADD COLUMN "settings" jsonb`);
    await queryRunner.query(
      `ALTER TABLE "teleservice" ADD CONSTRAINT "teleservice_settings_check" CHECK (settings IS NULL OR jsonb_typeof(settings) = 'object')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "teleservice" DROP CONSTRAINT "teleservice_settings_check"`);
    await queryRunner.query(`ALTER TABLE "teleservice" DROP COLUMN "settings"`);
  }
}
