import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { CitizenNotifications } from '#demands';
import { safeReturnTo } from '#web-session';

/**
 * What the layout of every portal page needs from the citizen's side, set before the handler renders:
 * - `helpOrigin`: the current page (path + query, encoded), carried by the « Besoin d’aide ? » link
 *   (`/aide?depuis=…`) so the help request records where it came from;
 * - `notificationsLink` for a logged-in citizen: the notification centre with its unread counter — one count
 *   over the partial index `notification_unread_idx`. A failure of that count never fails the page.
 */
@Injectable()
export class CitizenLocalsInterceptor implements NestInterceptor {
  constructor(private readonly notifications: CitizenNotifications) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    if (req.method === 'GET' && !req.path.startsWith('/aide') && !req.path.startsWith('/auth/')) {
      const here = safeReturnTo(req.originalUrl);
      if (here !== '/') res.locals.helpOrigin = encodeURIComponent(here);
    }
    const user = req.webSession?.user;
    if (user) {
      // Pages only: JSON endpoints, assets and the POSTs of scripts never render the header (a re-rendered POST page
      // shows the link without its counter).
      const page = req.method === 'GET' && !req.path.startsWith('/api/') && !req.path.startsWith('/assets/');
      const unread = page ? await this.notifications.unreadCount(user.sub).catch(() => null) : null;
      res.locals.notificationsLink = { href: '/notifications', unread: unread ?? 0 };
    }
    return next.handle();
  }
}
