import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, Clock, type AppConfig } from '#core';
import { OutboxService, type JobContext, type JobHandler, type JobPayload } from '#queue';
import { agentDigestMail } from '../templates/mail-templates.js';
import { backofficeUrlOf } from './agents-notify.job.js';

/** `YYYY-MM-DD` of `at` in `timeZone`. */
export function dayIn(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The digest mail's idempotency key for an agent and a day (the subject is hashed: no identifier in keys). */
export function digestKeyFor(accountSub: string, day: string): string {
  return `agent-digest/${createHash('sha256').update(accountSub).digest('hex').slice(0, 24)}/${day}`;
}

/**
 * `schedule.agent-digest` (daily at `AGENT_DIGEST_HOUR`, `SCHEDULE_TIMEZONE`): one mail per agent listing the lines
 * recorded for them up to now (the injected clock), then stamped with the digest key. Per agent, one transaction
 * locks the lines (`FOR UPDATE SKIP LOCKED`: a concurrent run skips them) and writes the mail with the key
 * `agent-digest/<hash of the agent>/<day>`: a second run the same day finds the key taken and leaves any newer
 * lines for the next day — one digest per agent and day, whatever the runs. An agent without an active role is
 * dropped with their lines; an address marked failing is skipped (the lines are stamped with that reason).
 */
@Injectable()
export class AgentDigestJob implements JobHandler<'schedule.agent-digest'> {
  readonly job = 'schedule.agent-digest';

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(_payload: JobPayload<'schedule.agent-digest'>, context: JobContext<'schedule.agent-digest'>): Promise<void> {
    const now = this.clock.now();
    const day = dayIn(now, this.config.worker.timezone);
    const subs: { account_sub: string }[] = await this.dataSource.query(
      `SELECT DISTINCT account_sub FROM "agent_digest_item" WHERE digested_at IS NULL AND created_at <= $1`,
      [now],
    );
    const tally = { sent: 0, postponed: 0, skipped: 0, dropped: 0 };
    for (const { account_sub: sub } of subs) tally[await this.digestOne(sub, now, day)]++;
    context.logger.info({ day, agents: subs.length, ...tally }, 'Récapitulatifs quotidiens des agents');
  }

  private digestOne(sub: string, now: Date, day: string): Promise<'sent' | 'postponed' | 'skipped' | 'dropped'> {
    return this.dataSource.transaction(async (manager) => {
      const items: { id: string; title: string; link: string | null; collectivity_name: string }[] = await manager.query(
        `SELECT i.id, i.title, i.link, c.name AS collectivity_name
           FROM "agent_digest_item" i JOIN "collectivity" c ON c.id = i.collectivity_id
          WHERE i.account_sub = $1 AND i.digested_at IS NULL AND i.created_at <= $2
          ORDER BY i.created_at, i.id
          FOR UPDATE OF i SKIP LOCKED`,
        [sub, now],
      );
      if (!items.length) return 'postponed';
      const ids = items.map((i) => i.id);
      const [agent]: { account_email: string; failing: boolean }[] = await manager.query(
        `SELECT r.account_email, EXISTS (SELECT 1 FROM "identity"."account" a WHERE a.email = lower(r.account_email) AND a.failing_email) AS failing
           FROM "agent_role" r WHERE r.account_sub = $1 AND r.revoked_at IS NULL AND r.account_email IS NOT NULL
          ORDER BY r.created_at, r.id LIMIT 1`,
        [sub],
      );
      if (!agent) {
        await manager.query(`DELETE FROM "agent_digest_item" WHERE id = ANY($1::uuid[])`, [ids]);
        return 'dropped';
      }
      if (agent.failing) {
        await manager.query(`UPDATE "agent_digest_item" SET digest_key = $2, digested_at = $3 WHERE id = ANY($1::uuid[])`, [
          ids,
          'ignoré : adresse de l’agent en échec',
          now,
        ]);
        return 'skipped';
      }
      const key = digestKeyFor(sub, day);
      const mail = agentDigestMail({
        day: day.split('-').reverse().join('/'),
        items: items.map((i) => ({ title: i.title, link: i.link, collectivityName: i.collectivity_name })),
        preferencesUrl: `${backofficeUrlOf(this.config)}/preferences/notifications`,
      });
      const { created } = await this.outbox.add(manager, 'mail.send', { to: agent.account_email, ...mail }, { key });
      if (!created) return 'postponed';
      await manager.query(`UPDATE "agent_digest_item" SET digest_key = $2, digested_at = $3 WHERE id = ANY($1::uuid[])`, [ids, key, now]);
      return 'sent';
    });
  }
}
