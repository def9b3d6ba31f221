import type { EntityManager } from 'typeorm';
import type { OutboxService } from '#queue';
import type { RenderedMail } from '../templates/mail-templates.js';
import type { AgentNotificationMode } from './agent-notification-preference.entity.js';

/** An agent to tell, with their preference and whether their address is known to bounce. */
export interface AgentRecipient {
  roleId: string;
  accountSub: string;
  email: string;
  mode: AgentNotificationMode;
  /** The territorial account of this address is marked `failing_email` (a permanent SMTP rejection). */
  failing: boolean;
}

export interface AgentAlert {
  collectivityId: string;
  demandId: string | null;
  /** Per-recipient idempotency key prefix: the mail's key, and the digest line's, is `<keyPrefix>/<agentRoleId>`. */
  keyPrefix: string;
  /** The digest line (« Nouvelle demande : Signalement (n° ABC…) »). */
  title: string;
  link: string | null;
  /** The instant mail, rendered for one recipient. */
  mail(recipient: AgentRecipient): RenderedMail;
}

export interface AgentAlertOutcome {
  instant: number;
  digest: number;
  /** Recipients skipped, with the reason (shown in the demand's internal history by the callers). */
  skipped: { roleId: string; reason: string }[];
}

/**
 * The agents of a collectivity to tell (one per person: active roles with an address), with `fn` only those
 * holding that workflow function: an `agent` or `administrator` role listing it, or listing none (as in the back
 * office, a role without functions grants every function of the workflow until functions per téléservice exist). Reads `agent_role`, the preference table and the failing flag of
 * `identity.account` directly (#notifications does not depend on #agents nor #accounts; these are the only columns read).
 */
export async function agentRecipients(manager: EntityManager, collectivityId: string, fn: string | null = null): Promise<AgentRecipient[]> {
  const rows: { id: string; account_sub: string; account_email: string; mode: AgentNotificationMode; failing: boolean }[] = await manager.query(
    `SELECT DISTINCT ON (r.account_sub) r.id, r.account_sub, r.account_email, coalesce(p.mode, 'instant') AS mode,
            EXISTS (SELECT 1 FROM "identity"."account" a WHERE a.email = lower(r.account_email) AND a.failing_email) AS failing
       FROM "agent_role" r
       LEFT JOIN "agent_notification_preference" p ON p.account_sub = r.account_sub
      WHERE r.collectivity_id = $1 AND r.revoked_at IS NULL AND r.account_email IS NOT NULL
        AND ($2::text IS NULL OR (r.role IN ('agent', 'administrator') AND (r.functions = '{}' OR $2 = ANY (r.functions))))
      ORDER BY r.account_sub, r.created_at, r.id`,
    [collectivityId, fn],
  );
  return rows.map((r) => ({ roleId: r.id, accountSub: r.account_sub, email: r.account_email, mode: r.mode, failing: r.failing }));
}

/**
 * Tells each recipient, in the caller's transaction: `instant` → a `mail.send` job (key `<keyPrefix>/<roleId>`),
 * `daily_digest` → an `agent_digest_item` line for the next digest (same key, unique: a replay adds nothing); an
 * address marked failing is skipped with its reason (mailing it again would only bounce).
 */
export async function alertAgents(
  manager: EntityManager,
  outbox: OutboxService,
  recipients: readonly AgentRecipient[],
  alert: AgentAlert,
  now: Date,
): Promise<AgentAlertOutcome> {
  const outcome: AgentAlertOutcome = { instant: 0, digest: 0, skipped: [] };
  for (const recipient of recipients) {
    const key = `${alert.keyPrefix}/${recipient.roleId}`;
    if (recipient.failing) {
      outcome.skipped.push({ roleId: recipient.roleId, reason: 'adresse de l’agent en échec (courriel refusé définitivement) : envoi non tenté' });
      continue;
    }
    if (recipient.mode === 'daily_digest') {
      await manager.query(
        `INSERT INTO "agent_digest_item" (account_sub, collectivity_id, demand_id, item_key, title, link, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT ON CONSTRAINT "agent_digest_item_item_key_key" DO NOTHING`,
        [recipient.accountSub, alert.collectivityId, alert.demandId, key, alert.title.slice(0, 500), alert.link, now],
      );
      outcome.digest++;
      continue;
    }
    // Framed with the collectivity's branding by the worker (logo, colour).
    await outbox.add(manager, 'mail.send', { to: recipient.email, ...alert.mail(recipient), brand: { collectivityId: alert.collectivityId } }, { key });
    outcome.instant++;
  }
  return outcome;
}
