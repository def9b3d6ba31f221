import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock, DomainError } from '#core';
import { AGENT_NOTIFICATION_MODES, type AgentNotificationMode } from './agent-notification-preference.entity.js';

export const AGENT_PREFERENCE_INVALID = 'AGENT_PREFERENCE_INVALID';

/**
 * An agent's notification preference, for the back office's preference page (`/preferences/notifications`, the
 * `List-Unsubscribe` target of agents' mails): `instant` (one mail per new demand or workflow alert, the default)
 * or `daily_digest` (one mail a day at `AGENT_DIGEST_HOUR`, listing the day's items). `accountSub` is the agent's
 * back-office subject (`req.agent`'s `sub`, the `agent_role.account_sub`). The caller checks that the person
 * changes their own preference. Import `AgentNotificationsModule` from #notifications to inject it.
 */
@Injectable()
export class AgentNotificationPreferences {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async get(accountSub: string): Promise<AgentNotificationMode> {
    const rows: { mode: AgentNotificationMode }[] = await this.dataSource.query(
      `SELECT mode FROM "agent_notification_preference" WHERE account_sub = $1`,
      [accountSub],
    );
    return rows[0]?.mode ?? 'instant';
  }

  /** Sets the preference; an unknown mode is refused (`AGENT_PREFERENCE_INVALID`, field `mode`). */
  async set(accountSub: string, mode: string): Promise<AgentNotificationMode> {
    if (!(AGENT_NOTIFICATION_MODES as readonly string[]).includes(mode)) {
      throw DomainError.invalid(AGENT_PREFERENCE_INVALID, 'Choisissez « à chaque demande » ou « un récapitulatif par jour ».', [
        { path: 'mode', code: AGENT_PREFERENCE_INVALID, message: 'Choix invalide.' },
      ]);
    }
    if (!accountSub) throw DomainError.invalid(AGENT_PREFERENCE_INVALID, 'Agent inconnu.');
    await this.dataSource.query(
      `INSERT INTO "agent_notification_preference" (account_sub, mode, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (account_sub) DO UPDATE SET mode = EXCLUDED.mode, updated_at = EXCLUDED.updated_at`,
      [accountSub, mode, this.clock.now()],
    );
    return mode as AgentNotificationMode;
  }
}
