import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '#core';
import type { JobContext, JobHandler, JobPayload } from '#queue';

/** A uuid derived from the job key: a replayed job inserts the same row, which `ON CONFLICT DO NOTHING` keeps single. */
export function notificationIdFor(key: string): string {
  const hex = createHash('sha256').update(`notification:${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * `notification.portal`: writes one `notification` row for a citizen's portal. The table is under row-level
 * security (FORCEd): the insert runs in platform scope (`parvis.platform = 'on'`, which the `notification_platform`
 * policy accepts for any role but `parvis_tenant`). #notifications does not import #demands (the reverse is
 * true), hence the two settings here rather than `withTenant`.
 */
@Injectable()
export class PortalNotificationJob implements JobHandler<'notification.portal'> {
  readonly job = 'notification.portal';

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async handle(payload: JobPayload<'notification.portal'>, context: JobContext<'notification.portal'>): Promise<void> {
    const id = notificationIdFor(context.key);
    const inserted = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('parvis.platform', 'on', true), set_config('parvis.account_sub', '', true)`);
      const rows: unknown[] = await manager.query(
        `INSERT INTO "notification" (id, account_sub, demand_id, collectivity_id, kind, title, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [id, payload.accountSub, payload.demandId, payload.collectivityId, payload.kind, payload.title, payload.body, this.clock.now()],
      );
      return rows.length > 0;
    });
    context.logger.info({ notificationId: id, inserted }, 'Notification du portail écrite');
  }
}
