import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AccountService, FranceConnectClient, LoginThrottle, MAIL_RULE, PASSWORD_MIN_LENGTH, type AccountLinks, type ThrottleKey } from '#accounts';
import { DomainError } from '#core';
import { IdentityProvider, withFormAction } from '../oidc/identity-provider.js';
import { Csrf } from './csrf.js';
import { formErrors, noStore, STATUS_OF_KIND } from './form-view.js';

const PASSWORD_HINT = `Au moins ${PASSWORD_MIN_LENGTH} caractères, sans autre règle. Une phrase de quelques mots est facile à retenir et difficile à deviner.`;
const FIELD_IDS = { email: 'email', password: 'password', givenName: 'given-name', familyName: 'family-name', _form: 'email' };

/**
 * Self-service pages outside an OIDC interaction: registration, email verification, forgotten password.
 * Registration and reset requests answer the same page whether the address has an account or not.
 */
@Controller()
export class AccountController {
  constructor(
    private readonly accounts: AccountService,
    private readonly identity: IdentityProvider,
    private readonly csrf: Csrf,
    private readonly throttle: LoginThrottle,
    private readonly franceConnect: FranceConnectClient,
  ) {}

  /** The FranceConnect block of the registration page (its form redirects to FranceConnect: CSP form-action). */
  private franceConnectBlock(res: Response) {
    if (!this.franceConnect.enabled) return undefined;
    res.setHeader('Content-Security-Policy', withFormAction(res.getHeader('Content-Security-Policy'), this.franceConnect.formTargets()));
    return { action: '/franceconnect/connexion' };
  }

  private links(req: Request): AccountLinks {
    const origin = this.identity.origin(req);
    return {
      verifyEmail: (token) => `${origin}/inscription/confirmer?jeton=${encodeURIComponent(token)}`,
      resetPassword: (token) => (token ? `${origin}/mot-de-passe/nouveau?jeton=${encodeURIComponent(token)}` : `${origin}/mot-de-passe/oubli`),
    };
  }

  private mailBudget(req: Request): ThrottleKey[] {
    return [{ rule: MAIL_RULE, key: `mail:ip:${req.ip ?? 'inconnue'}` }];
  }

  @Get('inscription')
  registerForm(@Req() req: Request, @Res() res: Response) {
    noStore(res).render('register', {
      pageTitle: 'Créer votre compte',
      csrf: this.csrf.token(req, res),
      values: {},
      passwordHint: PASSWORD_HINT,
      franceConnect: this.franceConnectBlock(res),
    });
  }

  @Post('inscription')
  async register(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const values = {
      email: String(req.body?.email ?? ''),
      givenName: String(req.body?.givenName ?? ''),
      familyName: String(req.body?.familyName ?? ''),
    };
    try {
      await this.throttle.assertAllowed(this.mailBudget(req));
      await this.accounts.register({ ...values, password: String(req.body?.password ?? '') }, this.links(req));
      await this.throttle.fail(this.mailBudget(req));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return noStore(res)
        .status(STATUS_OF_KIND[error.kind] ?? 400)
        .render('register', {
          pageTitle: 'Créer votre compte',
          csrf: this.csrf.token(req, res),
          values,
          passwordHint: PASSWORD_HINT,
          errors: formErrors(error, FIELD_IDS),
          franceConnect: this.franceConnectBlock(res),
        });
    }
    noStore(res).status(200).render('message', {
      pageTitle: 'Vérifiez votre messagerie',
      message:
        'Si cette adresse peut être utilisée, un courriel vient de vous être envoyé. Suivez le lien qu’il contient pour confirmer votre adresse et activer votre compte.',
    });
  }

  @Get('inscription/confirmer')
  confirmForm(@Query('jeton') token: string | undefined, @Req() req: Request, @Res() res: Response) {
    noStore(res).render('verify', { pageTitle: 'Confirmer votre adresse', csrf: this.csrf.token(req, res), token: token ?? '' });
  }

  /** The mail's link opens a page with a button: a link-preview robot fetching the URL confirms nothing. */
  @Post('inscription/confirmer')
  async confirm(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    try {
      await this.accounts.verifyEmail(String(req.body?.jeton ?? ''));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return noStore(res).status(STATUS_OF_KIND[error.kind] ?? 400).render('message', { pageTitle: 'Lien invalide', message: error.message });
    }
    noStore(res).status(200).render('message', {
      pageTitle: 'Adresse confirmée',
      message: 'Votre adresse est confirmée : votre compte est actif. Vous pouvez vous connecter aux services du territoire.',
    });
  }

  @Get('mot-de-passe/oubli')
  forgotForm(@Req() req: Request, @Res() res: Response) {
    noStore(res).render('forgot', { pageTitle: 'Mot de passe oublié', csrf: this.csrf.token(req, res), values: {} });
  }

  @Post('mot-de-passe/oubli')
  async forgot(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const email = String(req.body?.email ?? '');
    try {
      await this.throttle.assertAllowed(this.mailBudget(req));
      await this.accounts.requestPasswordReset(email, this.links(req));
      await this.throttle.fail(this.mailBudget(req));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return noStore(res)
        .status(STATUS_OF_KIND[error.kind] ?? 400)
        .render('forgot', { pageTitle: 'Mot de passe oublié', csrf: this.csrf.token(req, res), values: { email }, errors: formErrors(error, FIELD_IDS) });
    }
    noStore(res).status(200).render('message', {
      pageTitle: 'Vérifiez votre messagerie',
      message: 'Si un compte existe avec cette adresse, un courriel vient de lui être envoyé avec un lien pour choisir un nouveau mot de passe.',
    });
  }

  @Get('mot-de-passe/nouveau')
  async resetForm(@Query('jeton') token: string | undefined, @Req() req: Request, @Res() res: Response) {
    if (!token || !(await this.accounts.isResetTokenUsable(token))) {
      return noStore(res).status(410).render('message', {
        pageTitle: 'Lien invalide',
        message: "Ce lien n'est plus valable : il a déjà servi ou il a expiré. Vous pouvez en demander un nouveau.",
        link: { href: '/mot-de-passe/oubli', label: 'Demander un nouveau lien' },
      });
    }
    noStore(res).render('reset', { pageTitle: 'Choisir un nouveau mot de passe', csrf: this.csrf.token(req, res), token, passwordHint: PASSWORD_HINT });
  }

  @Post('mot-de-passe/nouveau')
  async reset(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const token = String(req.body?.jeton ?? '');
    // The sessions the reset ends, read first: their clients are told once it is done (back-channel logout).
    const accountId = await this.accounts.resetTokenAccountId(token);
    const ended = accountId ? await this.identity.accountSessions(accountId) : [];
    try {
      await this.accounts.resetPassword(token, String(req.body?.password ?? ''));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.kind === 'invalid') {
        return noStore(res)
          .status(422)
          .render('reset', {
            pageTitle: 'Choisir un nouveau mot de passe',
            csrf: this.csrf.token(req, res),
            token,
            passwordHint: PASSWORD_HINT,
            errors: formErrors(error, FIELD_IDS),
          });
      }
      return noStore(res)
        .status(STATUS_OF_KIND[error.kind] ?? 400)
        .render('message', { pageTitle: 'Lien invalide', message: error.message, link: { href: '/mot-de-passe/oubli', label: 'Demander un nouveau lien' } });
    }
    await this.identity.notifyEndedSessions(req, ended);
    noStore(res).status(200).render('message', {
      pageTitle: 'Mot de passe changé',
      message: 'Votre nouveau mot de passe est enregistré. Vous pouvez vous connecter avec lui.',
    });
  }
}
