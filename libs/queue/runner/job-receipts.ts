import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Where the runner records that a job's handler succeeded. */
export interface ReceiptStore {
  has(jobKey: string): Promise<boolean>;
  record(jobKey: string, jobName: string, at: Date): Promise<void>;
}

/** Receipts in PostgreSQL (`job_receipt`): the proof that survives Redis evictions and replays. */
@Injectable()
export class JobReceipts implements ReceiptStore {
  constructor(private readonly dataSource: DataSource) {}

  async has(jobKey: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM "job_receipt" WHERE "job_key" = $1`, [jobKey]);
    return rows.length > 0;
  }

  async record(jobKey: string, jobName: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO "job_receipt" ("job_key", "job_name", "completed_at") VALUES ($1, $2, $3) ON CONFLICT ("job_key") DO NOTHING`,
      [jobKey, jobName, at],
    );
  }
}
