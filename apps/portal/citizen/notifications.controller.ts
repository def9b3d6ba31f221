import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '#core';
import { CitizenNotifications } from '#demands';
import { portalNavigation } from '../navigation.js';
import { citizenUser, formatDateTime, one } from './citizen-pages.js';
import { loginRequired } from './my-demands.controller.js';

/**
 * The notification centre: the portal notifications the workflows wrote for the account, newest first, unread
 * ones marked. Opening one (a POST form: it changes state) marks it read and goes to its demand; « Tout marquer
 * comme lu » clears the counter. Another account's notification: nothing happens, the same 404 as an unknown id.
 */
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly notifications: CitizenNotifications) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response, @Query() query: Record<string, unknown>) {
    const user = citizenUser(req);
    if (!user) return loginRequired(req, res, 'Notifications');
    const after = one(query.apres, 300) || null;
    const page = await this.notifications.list(user.sub, { after });
    res.render('citizen-notifications', {
      pageTitle: `Notifications${page.unread ? ` (${page.unread} non lue${page.unread > 1 ? 's' : ''})` : ''}`,
      navigation: portalNavigation('mes-demarches'),
      unread: page.unread,
      unreadText: page.unread === 0 ? 'Aucune notification non lue.' : `${page.unread} notification${page.unread > 1 ? 's' : ''} non lue${page.unread > 1 ? 's' : ''}.`,
      notice: one(query.fait) === 'tout-lu' ? 'Toutes les notifications sont marquées comme lues.' : null,
      items: page.items.map((n) => ({
        id: n.id,
        title: n.title,
        body: n.body,
        at: formatDateTime(n.createdAt),
        iso: n.createdAt.toISOString(),
        unread: n.readAt === null,
        action: `/notifications/${n.id}/ouvrir`,
        hasDemand: n.demandId !== null,
      })),
      nextHref: page.next ? `/notifications?apres=${encodeURIComponent(page.next)}` : null,
      firstHref: after ? '/notifications' : null,
    });
  }

  @Post('tout-lu')
  async markAll(@Req() req: Request, @Res() res: Response) {
    const user = citizenUser(req);
    if (!user) return loginRequired(req, res, 'Notifications');
    await this.notifications.markAllRead(user.sub);
    res.redirect(303, '/notifications?fait=tout-lu');
  }

  /** Marks the notification read, then opens its demand (or comes back to the list when it has none). */
  @Post(':id/ouvrir')
  async open(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    const user = citizenUser(req);
    if (!user) return loginRequired(req, res, 'Notifications');
    const notification = await this.notifications.markRead(user.sub, id);
    if (!notification) throw DomainError.notFound('NOTIFICATION_NOT_FOUND', 'Cette notification n’existe pas.');
    res.redirect(303, notification.demandId ? `/mes-demarches/${notification.demandId}` : '/notifications');
  }
}
