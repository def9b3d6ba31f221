import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Addresses the SMTP server refused for good (5yz). The territorial account keeps the flag
 * (`identity.account.failing_email`): a direct, documented UPDATE from the worker — #notifications does not
 * depend on #accounts, and the flag is the only column it touches. An address that belongs to no account (a
 * commune's contact address, an anonymous citizen's) changes nothing; the failed job keeps the error.
 */
@Injectable()
export class FailingAddresses {
  constructor(private readonly dataSource: DataSource) {}

  /** Whether an account with this address (case-insensitive) is marked failing. */
  async isFailing(address: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM "identity"."account" WHERE email = lower($1) AND failing_email`, [address.trim()]);
    return rows.length > 0;
  }

  /** Marks the accounts whose email is `address` (case-insensitive); returns how many rows changed. */
  async markFailing(address: string): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(
      `WITH marked AS (UPDATE "identity"."account" SET failing_email = true WHERE email = lower($1) AND failing_email = false RETURNING 1)
       SELECT count(*)::int AS n FROM marked`,
      [address.trim()],
    );
    return rows[0]?.n ?? 0;
  }
}
