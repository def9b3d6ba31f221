import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole workflow position of a demand (libs/workflow `WorkflowState`: status, entry time, last
 * citizen-visible status, pending request for information), persisted with the demand so that any actor
 * (agent, citizen, tracking-code holder, worker) reads the same state, whatever part of the history row-level
 * security lets them see. `status` and `status_entered_at` stay the indexed, queryable copy.
 */
export class DemandWorkflowState1763800400000 implements MigrationInterface {
  name = 'DemandWorkflowState1763800400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "demand" ADD "workflow_state" jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "demand" DROP COLUMN "workflow_state"`);
  }
}
