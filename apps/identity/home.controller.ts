import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AccountSession } from './web/account-session.js';
import { noStore } from './web/form-view.js';

@Controller()
export class HomeController {
  constructor(private readonly sessions: AccountSession) {}

  /** The home page: « Mon compte » and « Se déconnecter » when the provider's session is signed in. */
  @Get()
  async home(@Req() req: Request, @Res() res: Response) {
    const signedIn = Boolean(await this.sessions.current(req, res));
    noStore(res).render('home', { pageTitle: 'Votre compte territorial', signedIn });
  }
}
