import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

export const AGENT_NOTIFICATION_MODES = ['instant', 'daily_digest'] as const;
export type AgentNotificationMode = (typeof AGENT_NOTIFICATION_MODES)[number];

/**
 * How an agent wants to hear about new demands and workflow alerts: one mail each (`instant`, the default when no
 * row exists) or one daily digest. Keyed by the agent's back-office subject (`agent_role.account_sub`), whatever
 * the collectivity. Platform only (no tenant grant): read and written through `AgentNotificationPreferences`.
 *
 * Schema source of truth: migrations/1763801200000-agent-notifications.ts.
 */
@Entity({ name: 'agent_notification_preference' })
@Check('agent_notification_preference_mode_check', `mode IN ('instant', 'daily_digest')`)
export class AgentNotificationPreference {
  @PrimaryColumn({ name: 'account_sub', type: 'text', primaryKeyConstraintName: 'agent_notification_preference_pkey' })
  accountSub: string;

  @Column({ name: 'mode', type: 'text' })
  mode: AgentNotificationMode;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
