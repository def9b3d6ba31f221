import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AccountErasure, ClientService, DELETED_ACCOUNTS_KEPT_MS } from '#accounts';
import { Clock } from '#core';
import { authenticatedClient, refuseUnauthenticated } from './client-credentials.js';
import { noStore } from './form-view.js';

/**
 * The deleted-accounts service of the connection kit: `GET /api/comptes-supprimes`, authenticated with the
 * partner's client id and secret (HTTP Basic, as at the token endpoint), lists the accounts deleted since
 * `depuis` (ISO 8601; default and limit: a year ago) with the `sub` this partner knows them by, oldest first,
 * a page at a time (`apres`: the previous page's `suite`). Partners purge their copies of these people's data.
 */
@Controller('api/comptes-supprimes')
export class DeletedAccountsController {
  constructor(
    private readonly clients: ClientService,
    private readonly erasure: AccountErasure,
    private readonly clock: Clock,
  ) {}

  @Get()
  async list(@Query('depuis') since: string | undefined, @Query('apres') after: string | undefined, @Req() req: Request, @Res() res: Response) {
    noStore(res);
    const client = await authenticatedClient(this.clients, req);
    if (!client) {
      return refuseUnauthenticated(res);
    }
    const oldest = new Date(this.clock.now().getTime() - DELETED_ACCOUNTS_KEPT_MS);
    let from = oldest;
    if (since !== undefined) {
      const parsed = new Date(since);
      if (!/^\d{4}-\d{2}-\d{2}/.test(since) || Number.isNaN(parsed.getTime())) {
        return res.status(400).json({ erreur: 'depuis_invalide', message: '« depuis » doit être une date ISO 8601, par exemple 2026-01-31T00:00:00Z.' });
      }
      if (parsed > from) from = parsed;
    }
    // The provider's sector of a client: the host of its redirect URIs (one host per client).
    const sector = new URL((client.redirect_uris as string[])[0]!).host;
    const page = await this.erasure.deletedFor(sector, from, after ?? null);
    res.status(200).json({
      comptes: page.map((entry) => ({ sub: entry.sub, supprime_le: entry.deletedAt.toISOString() })),
      suite: page.length ? page.at(-1)!.cursor : null,
    });
  }
}
