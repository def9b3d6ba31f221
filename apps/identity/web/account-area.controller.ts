import { Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { In, DataSource } from 'typeorm';
import {
  AccountErasure,
  AccountErrors,
  AccountService,
  birthcountryLabel,
  birthplaceLabel,
  ConsentService,
  FranceConnectAccounts,
  FranceConnectClient,
  LoginThrottle,
  PASSWORD_MIN_LENGTH,
  type Account,
  type AccountLinks,
  type PostalAddress,
  type ProfileUpdate,
  type ThrottleKey,
} from '#accounts';
import { DomainError } from '#core';
// SMS de suivi (docs/worker.md § SMS): the account's choice, and the link of the portal's subject to the account.
import { Account as AccountRow, ClientService, hmacHex } from '#accounts';
import { APP_CONFIG, Clock, type AppConfig } from '#core';
import { linkSmsSubject, mobileE164 } from '#notifications';
import { Collectivity } from '#territory';
import { SCOPE_LABELS } from '../oidc/claims.js';
import { FranceConnectSessions } from '../oidc/franceconnect-sessions.js';
import { IdentityProvider, withFormAction } from '../oidc/identity-provider.js';
import { AccountSession, accountReturnTo, type SignedIn } from './account-session.js';
import { Csrf } from './csrf.js';
import { formErrors, noStore, STATUS_OF_KIND, type FormErrors } from './form-view.js';

const PASSWORD_HINT = `Au moins ${PASSWORD_MIN_LENGTH} caractères, sans autre règle. Une phrase de quelques mots est facile à retenir et difficile à deviner.`;

/** Form field name → element id (the error summary links to the ids). */
const PROFILE_IDS: Record<string, string> = {
  givenName: 'given-name',
  familyName: 'family-name',
  preferredUsername: 'preferred-username',
  birthdate: 'birthdate',
  gender: 'gender',
  phone: 'phone',
  address: 'street-address',
  _form: 'given-name',
};
const PASSWORD_IDS = { currentPassword: 'current-password', newPassword: 'new-password', _form: 'current-password' };
const EMAIL_IDS = { currentPassword: 'current-password', newEmail: 'new-email', _form: 'new-email' };
const LOGIN_IDS = { _form: 'email' };
const SMS_IDS = { smsConsent: 'sms-consent', _form: 'sms-consent' };
export const SMS_CONSENT_NO_MOBILE = 'SMS_CONSENT_NO_MOBILE';

/** Profile fields of the form, each with the OIDC claim that certification lists. */
const PROFILE_FIELDS: { key: keyof ProfileUpdate; claim: string }[] = [
  { key: 'givenName', claim: 'given_name' },
  { key: 'familyName', claim: 'family_name' },
  { key: 'preferredUsername', claim: 'preferred_username' },
  { key: 'birthdate', claim: 'birthdate' },
  { key: 'gender', claim: 'gender' },
  { key: 'phone', claim: 'phone_number' },
  { key: 'address', claim: 'address' },
];

const GENDER_LABELS: Record<string, string> = { female: 'Femme', male: 'Homme', other: 'Autre' };

type ProfileValues = Record<string, string>;

function profileValues(account: Account): ProfileValues {
  return {
    givenName: account.givenName ?? '',
    familyName: account.familyName ?? '',
    preferredUsername: account.preferredUsername ?? '',
    birthdate: account.birthdate ?? '',
    gender: account.gender ?? '',
    phone: account.phone ?? '',
    streetAddress: account.address?.street_address ?? '',
    postalCode: account.address?.postal_code ?? '',
    locality: account.address?.locality ?? '',
    country: account.address?.country ?? '',
  };
}

function text(body: Record<string, unknown> | undefined, name: string): string {
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
}

function has(body: Record<string, unknown> | undefined, name: string): boolean {
  return Boolean(body && Object.prototype.hasOwnProperty.call(body, name));
}

/**
 * The account area (« Mon compte »): the person's data and profile form, password and address changes (both
 * re-authenticated by the current password), and the services the person has given data to, with the
 * withdrawal of that access. Every page is `no-store`, every form carries the CSRF token. Who is signed in
 * comes from the provider's session (AccountSession).
 */
@Controller('compte')
export class AccountAreaController {
  constructor(
    private readonly sessions: AccountSession,
    private readonly accounts: AccountService,
    private readonly consents: ConsentService,
    private readonly identity: IdentityProvider,
    private readonly csrf: Csrf,
    private readonly throttle: LoginThrottle,
    private readonly dataSource: DataSource,
    private readonly franceConnect: FranceConnectClient,
    private readonly fcAccounts: FranceConnectAccounts,
    private readonly fcSessions: FranceConnectSessions,
    private readonly erasure: AccountErasure,
    private readonly clients: ClientService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The « S’identifier avec FranceConnect » form posting to `action`, with the page's CSP letting it reach FranceConnect. */
  private franceConnectBlock(res: Response, action: string) {
    if (!this.franceConnect.enabled) return undefined;
    res.setHeader('Content-Security-Policy', withFormAction(res.getHeader('Content-Security-Policy'), this.franceConnect.formTargets()));
    return { action };
  }

  private renderLogin(req: Request, res: Response, status: number, email: string, errors?: FormErrors) {
    noStore(res)
      .status(status)
      .render('account-login', {
        pageTitle: 'Se connecter à votre compte',
        csrf: this.csrf.token(req, res),
        email,
        errors,
        franceConnect: this.franceConnectBlock(res, '/compte/franceconnect'),
      });
  }

  /** The signed-in person, or a redirect to the account area's login (returns null then). */
  private signedIn(req: Request, res: Response): Promise<SignedIn | null> {
    return this.sessions.requireSignedIn(req, res);
  }

  private links(req: Request): AccountLinks {
    const origin = this.identity.origin(req);
    return {
      verifyEmail: (token) => `${origin}/inscription/confirmer?jeton=${encodeURIComponent(token)}`,
      resetPassword: (token) => (token ? `${origin}/mot-de-passe/nouveau?jeton=${encodeURIComponent(token)}` : `${origin}/mot-de-passe/oubli`),
      confirmEmailChange: (token) => `${origin}/compte/adresse/confirmer?jeton=${encodeURIComponent(token)}`,
    };
  }

  private reauthKeys(req: Request, account: Account): ThrottleKey[] {
    return LoginThrottle.forLogin(account.email, req.ip ?? 'inconnue');
  }

  /** Checks the throttle, runs a re-authenticated action, counts a wrong current password as a failed login. */
  private async reauthenticated<T>(req: Request, account: Account, action: () => Promise<T>): Promise<T> {
    const keys = this.reauthKeys(req, account);
    await this.throttle.assertAllowed(keys);
    try {
      const result = await action();
      await this.throttle.succeed(keys);
      return result;
    } catch (error) {
      if (error instanceof DomainError && error.code === AccountErrors.INVALID_CREDENTIALS) await this.throttle.fail(keys);
      throw error;
    }
  }

  // ——— Login of the account area ———

  @Get('connexion')
  async loginForm(@Req() req: Request, @Res() res: Response) {
    // `?retour=/compte/…`: the page to land on once signed in (the mandate request's link), a local path only.
    if (await this.sessions.current(req, res)) return noStore(res).redirect(303, accountReturnTo(req.query.retour) ?? '/compte');
    this.sessions.rememberReturn(req, res, req.query.retour);
    this.renderLogin(req, res, 200, '');
  }

  @Post('connexion')
  async login(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const email = text(req.body, 'email');
    try {
      const account = await this.throttle.attemptLogin(email, req.ip ?? 'inconnue', () => this.accounts.authenticate(email, text(req.body, 'password')));
      await this.sessions.logIn(req, res, account);
      this.csrf.token(req, res, true); // a new CSRF value with the new session
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return this.renderLogin(req, res, STATUS_OF_KIND[error.kind] ?? 400, email, formErrors(error, LOGIN_IDS));
    }
    noStore(res).redirect(303, this.sessions.takeReturn(req, res));
  }

  // ——— Profile ———

  private renderProfile(req: Request, res: Response, account: Account, status = 200, state: { values?: ProfileValues; errors?: FormErrors; saved?: boolean; smsSaved?: boolean } = {}) {
    const certified = new Set(account.certifiedAttributes);
    const source = account.certificationSource === 'franceconnect' ? 'FranceConnect' : 'un fournisseur d’identité';
    const certifiedHint = `Donnée certifiée par ${source} : elle ne peut pas être modifiée ici.`;
    const locked = Object.fromEntries(PROFILE_FIELDS.map(({ key, claim }) => [key, certified.has(claim)]));
    const values = state.values ?? profileValues(account);
    noStore(res)
      .status(status)
      .render('account', {
        pageTitle: 'Mon compte',
        csrf: this.csrf.token(req, res),
        account: {
          email: account.email,
          certified: account.certificationLevel !== 'none',
          certificationSource: source,
          certifiedAttributes: PROFILE_FIELDS.filter(({ claim }) => certified.has(claim)).length,
        },
        values,
        locked,
        certifiedHint,
        genders: Object.entries(GENDER_LABELS).map(([value, label]) => ({ value, label, selected: values.gender === value })),
        genderLabel: GENDER_LABELS[values.gender ?? ''] ?? '',
        errors: state.errors,
        saved: state.saved,
        sms: {
          consent: account.smsConsent,
          hasMobile: Boolean(account.phone && mobileE164(account.phone)),
          phone: account.phone ?? '',
          since: account.smsConsentAt ? new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long' }).format(account.smsConsentAt) : null,
          saved: state.smsSaved,
        },
      });
  }

  @Get()
  async overview(@Req() req: Request, @Res() res: Response) {
    const current = await this.signedIn(req, res);
    if (!current) return;
    this.renderProfile(req, res, current.account, 200, { saved: req.query.enregistre === '1', smsSaved: req.query.sms === '1' });
  }

  @Post('profil')
  async updateProfile(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const current = await this.signedIn(req, res);
    if (!current) return;
    const body = req.body as Record<string, unknown> | undefined;
    // A disabled (certified) field is not sent by the browser: only the fields present are changes.
    const changes: ProfileUpdate = {};
    const values = profileValues(current.account);
    for (const key of ['givenName', 'familyName', 'preferredUsername', 'birthdate', 'gender', 'phone'] as const) {
      if (!has(body, key)) continue;
      values[key] = text(body, key);
      changes[key] = values[key];
    }
    if (['streetAddress', 'postalCode', 'locality', 'country'].some((name) => has(body, name))) {
      for (const name of ['streetAddress', 'postalCode', 'locality', 'country']) values[name] = text(body, name);
      const address: PostalAddress = {};
      if (values.streetAddress!.trim()) address.street_address = values.streetAddress!.trim();
      if (values.postalCode!.trim()) address.postal_code = values.postalCode!.trim();
      if (values.locality!.trim()) address.locality = values.locality!.trim();
      if (values.country!.trim()) address.country = values.country!.trim();
      changes.address = Object.keys(address).length ? address : null;
    }
    try {
      await this.accounts.updateProfile(current.account.id, changes);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return this.renderProfile(req, res, current.account, STATUS_OF_KIND[error.kind] ?? 400, { values, errors: formErrors(error, PROFILE_IDS) });
    }
    noStore(res).redirect(303, '/compte?enregistre=1');
  }

  // ——— SMS de suivi ———

  /**
   * The choice « Recevoir les SMS de suivi de mes démarches »: explicit (an unticked box by default), given only with a
   * mobile number in the profile, withdrawn at any time by unticking it. Saved on the account with its date; the
   * portal's subject of the account is linked to it (`citizen_sms_subject`) so that the worker reads the current
   * number and choice when an SMS is due: a withdrawal stops every later SMS at once (docs/worker.md § SMS).
   */
  @Post('sms')
  async updateSmsChoice(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const current = await this.signedIn(req, res);
    if (!current) return;
    const { account } = current;
    const consent = text(req.body as Record<string, unknown> | undefined, 'smsConsent') === 'oui';
    if (consent && !(account.phone && mobileE164(account.phone))) {
      const message = 'Pour recevoir les SMS de suivi, indiquez d’abord un numéro de mobile (06 ou 07) dans « Mes informations » et enregistrez-le.';
      const error = DomainError.invalid(SMS_CONSENT_NO_MOBILE, message, [{ path: 'smsConsent', code: 'NO_MOBILE', message }]);
      return this.renderProfile(req, res, account, 422, { errors: formErrors(error, SMS_IDS) });
    }
    const now = this.clock.now();
    const portalSub = await this.portalSubject(account.id);
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(AccountRow).update({ id: account.id }, { smsConsent: consent, smsConsentAt: now });
      if (portalSub) await linkSmsSubject(manager, { accountSub: portalSub, accountId: account.id, at: now });
    });
    noStore(res).redirect(303, '/compte?sms=1');
  }

  /** The `sub` Parvis' portal knows the account by (pairwise: the host of the portal client's redirect URI), or null without that client. */
  private async portalSubject(accountId: string): Promise<string | null> {
    const portal = await this.clients.get(this.config.webApps.portal.oidcClientId);
    const redirectUri = portal?.redirectUris[0];
    return redirectUri ? hmacHex(this.config.identity.pairwiseSalt, `${new URL(redirectUri).host}|${accountId}`) : null;
  }

  // ——— Password ———

  @Get('mot-de-passe')
  async passwordForm(@Req() req: Request, @Res() res: Response) {
    const current = await this.signedIn(req, res);
    if (!current) return;
    noStore(res).render('account-password', { pageTitle: 'Changer de mot de passe', csrf: this.csrf.token(req, res), passwordHint: PASSWORD_HINT });
  }

  @Post('mot-de-passe')
  async changePassword(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const current = await this.signedIn(req, res);
    if (!current) return;
    const ended = await this.identity.accountSessions(current.account.id, current.session.jti);
    try {
      await this.reauthenticated(req, current.account, () =>
        this.accounts.changePassword(current.account.id, text(req.body, 'currentPassword'), text(req.body, 'newPassword'), this.sessions.kept(current)),
      );
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return noStore(res)
        .status(STATUS_OF_KIND[error.kind] ?? 400)
        .render('account-password', {
          pageTitle: 'Changer de mot de passe',
          csrf: this.csrf.token(req, res),
          passwordHint: PASSWORD_HINT,
          errors: formErrors(error, PASSWORD_IDS),
        });
    }
    await this.identity.notifyEndedSessions(req, ended);
    noStore(res).status(200).render('message', {
      pageTitle: 'Mot de passe changé',
      message: 'Votre nouveau mot de passe est enregistré. Vos autres sessions ont été fermées et, sur vos autres appareils, les services connectés vous demanderont de vous reconnecter. Un courriel vous confirme ce changement.',
      link: { href: '/compte', label: 'Revenir à mon compte' },
    });
  }

  // ——— Email address ———

  @Get('adresse')
  async emailForm(@Req() req: Request, @Res() res: Response) {
    const current = await this.signedIn(req, res);
    if (!current) return;
    noStore(res).render('account-email', { pageTitle: 'Changer d’adresse électronique', csrf: this.csrf.token(req, res), email: current.account.email, values: {} });
  }

  @Post('adresse')
  async changeEmail(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const current = await this.signedIn(req, res);
    if (!current) return;
    const newEmail = text(req.body, 'newEmail');
    try {
      await this.reauthenticated(req, current.account, () =>
        this.accounts.requestEmailChange(current.account.id, text(req.body, 'currentPassword'), newEmail, this.links(req)),
      );
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return noStore(res)
        .status(STATUS_OF_KIND[error.kind] ?? 400)
        .render('account-email', {
          pageTitle: 'Changer d’adresse électronique',
          csrf: this.csrf.token(req, res),
          email: current.account.email,
          values: { newEmail },
          errors: formErrors(error, EMAIL_IDS),
        });
    }
    noStore(res).status(200).render('message', {
      pageTitle: 'Vérifiez votre messagerie',
      message:
        'Si cette adresse peut être utilisée, un lien de confirmation vient d’y être envoyé. Votre adresse ne change qu’une fois ce lien suivi ; d’ici là, connectez-vous avec l’adresse actuelle.',
      link: { href: '/compte', label: 'Revenir à mon compte' },
    });
  }

  /** The mail's link opens a page with a button (a link-preview robot confirms nothing); no session needed. */
  @Get('adresse/confirmer')
  confirmEmailForm(@Query('jeton') token: string | undefined, @Req() req: Request, @Res() res: Response) {
    noStore(res).render('account-email-confirm', { pageTitle: 'Confirmer votre nouvelle adresse', csrf: this.csrf.token(req, res), token: token ?? '' });
  }

  @Post('adresse/confirmer')
  async confirmEmail(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    try {
      await this.accounts.confirmEmailChange(text(req.body, 'jeton'));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return noStore(res).status(STATUS_OF_KIND[error.kind] ?? 400).render('message', { pageTitle: 'Lien invalide', message: error.message });
    }
    noStore(res).status(200).render('message', {
      pageTitle: 'Adresse modifiée',
      message: 'Votre nouvelle adresse est confirmée : c’est désormais elle qui vous sert à vous connecter.',
      link: { href: '/compte', label: 'Aller à mon compte' },
    });
  }

  // ——— FranceConnect: link and unlink ———

  private async renderFranceConnect(req: Request, res: Response, current: SignedIn, status = 200, errors?: FormErrors) {
    const link = await this.fcAccounts.findLinkOfAccount(current.account.id);
    const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });
    noStore(res)
      .status(status)
      .render('account-franceconnect', {
        pageTitle: 'FranceConnect',
        csrf: this.csrf.token(req, res),
        linked: link
          ? { since: dateFormat.format(link.linkedAt), sinceIso: link.linkedAt.toISOString(), birthplace: birthplaceLabel(link.birthplace), birthcountry: birthcountryLabel(link.birthcountry) }
          : null,
        hasPassword: Boolean(current.account.passwordHash),
        franceConnect: link ? undefined : this.franceConnectBlock(res, '/compte/franceconnect/relier'),
        errors,
      });
  }

  @Get('franceconnect')
  async franceConnectPage(@Req() req: Request, @Res() res: Response) {
    const current = await this.signedIn(req, res);
    if (!current) return;
    await this.renderFranceConnect(req, res, current);
  }

  /**
   * Unlinks FranceConnect (current password required). Every session and grant of the account ends (they carried
   * `acr=eidas1`); this browser gets a new session established by the password.
   */
  @Post('franceconnect/delier')
  async unlinkFranceConnect(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const current = await this.signedIn(req, res);
    if (!current) return;
    const ended = await this.identity.accountSessions(current.account.id);
    let account: Account;
    try {
      account = await this.reauthenticated(req, current.account, async () => {
        if (current.account.passwordHash) await this.accounts.checkCurrentPassword(current.account, text(req.body, 'currentPassword'));
        return this.fcAccounts.unlink(current.account.id);
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return this.renderFranceConnect(req, res, current, STATUS_OF_KIND[error.kind] ?? 400, formErrors(error, { currentPassword: 'current-password', _form: 'current-password' }));
    }
    await this.fcSessions.unbindSession(current.session.uid);
    await this.identity.notifyEndedSessions(req, ended);
    await this.sessions.logIn(req, res, account);
    this.csrf.token(req, res, true);
    noStore(res).status(200).render('message', {
      pageTitle: 'FranceConnect délié',
      message:
        'Votre compte n’est plus relié à FranceConnect : vos informations sont de nouveau modifiables et votre lieu de naissance a été effacé. Vos autres sessions ont été fermées, et un courriel vous confirme ce changement.',
      link: { href: '/compte', label: 'Revenir à mon compte' },
    });
  }

  // ——— My data (RGPD): export and deletion ———

  private renderData(req: Request, res: Response, current: SignedIn, status = 200, errors?: FormErrors) {
    noStore(res)
      .status(status)
      .render('account-data', { pageTitle: 'Mes données', csrf: this.csrf.token(req, res), hasPassword: Boolean(current.account.passwordHash), errors });
  }

  @Get('donnees')
  async dataPage(@Req() req: Request, @Res() res: Response) {
    const current = await this.signedIn(req, res);
    if (!current) return;
    this.renderData(req, res, current);
  }

  /** Access and portability: everything the account holds, as a JSON file. */
  @Get('donnees/export')
  async exportData(@Req() req: Request, @Res() res: Response) {
    const current = await this.signedIn(req, res);
    if (!current) return;
    const data = await this.erasure.export(current.account.id);
    const day = new Date().toISOString().slice(0, 10);
    noStore(res)
      .status(200)
      .type('application/json')
      .setHeader('Content-Disposition', `attachment; filename="compte-territorial-${day}.json"`)
      .send(JSON.stringify(data, null, 2));
  }

  /**
   * Erasure at the person's request: the current password (when the account has one, throttled like a login) and
   * an explicit confirmation. The account, its personal data, sessions and tokens go; partners learn it through
   * the deleted-accounts service.
   */
  @Post('supprimer')
  async deleteAccount(@Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const current = await this.signedIn(req, res);
    if (!current) return;
    const ended = await this.identity.accountSessions(current.account.id);
    try {
      await this.reauthenticated(req, current.account, async () => {
        if (current.account.passwordHash) await this.accounts.checkCurrentPassword(current.account, text(req.body, 'currentPassword'));
        if (text(req.body, 'confirm') !== 'oui') {
          throw DomainError.invalid(AccountErrors.INVALID_INPUT, 'Le formulaire contient des erreurs.', [
            { path: 'confirm', code: 'REQUIRED', message: 'Cochez la case pour confirmer la suppression définitive de votre compte.' },
          ]);
        }
        await this.erasure.delete(current.account.id, 'request');
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return this.renderData(req, res, current, STATUS_OF_KIND[error.kind] ?? 400, formErrors(error, { currentPassword: 'current-password', confirm: 'confirm', _form: 'current-password' }));
    }
    await this.fcSessions.unbindSession(current.session.uid);
    await this.identity.notifyEndedSessions(req, ended);
    const provider = await this.identity.provider(req);
    provider.createContext(req, res).cookies.set(provider.cookieName('session'), null, this.identity.sessionCookieOptions(req));
    noStore(res).status(200).render('message', {
      pageTitle: 'Compte supprimé',
      message: 'Votre compte territorial et vos données personnelles ont été supprimés. Un courriel vous le confirme. Vous pouvez créer un nouveau compte à tout moment.',
    });
  }

  // ——— Connected services ———

  private async renderServices(req: Request, res: Response, current: SignedIn, revoked?: string) {
    const consents = await this.consents.listActive(current.account.id);
    const collectivityIds = [...new Set(consents.flatMap((consent) => (consent.collectivityId ? [consent.collectivityId] : [])))];
    const collectivities = collectivityIds.length ? await this.dataSource.getRepository(Collectivity).findBy({ id: In(collectivityIds) }) : [];
    const nameOf = new Map(collectivities.map((collectivity) => [collectivity.id, collectivity.name]));
    const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });
    noStore(res).status(200).render('account-services', {
      pageTitle: 'Services connectés',
      csrf: this.csrf.token(req, res),
      revoked,
      services: consents.map((consent) => ({
        clientId: consent.clientId,
        clientName: consent.clientName,
        collectivity: consent.collectivityId ? (nameOf.get(consent.collectivityId) ?? null) : null,
        scopes: consent.scopes.filter((scope) => SCOPE_LABELS[scope]).map((scope) => SCOPE_LABELS[scope]),
        grantedAt: dateFormat.format(consent.grantedAt),
        grantedAtIso: consent.grantedAt.toISOString(),
      })),
    });
  }

  @Get('services')
  async services(@Req() req: Request, @Res() res: Response) {
    const current = await this.signedIn(req, res);
    if (!current) return;
    await this.renderServices(req, res, current);
  }

  @Post('services/:clientId/retirer')
  async revoke(@Param('clientId') clientId: string, @Req() req: Request, @Res() res: Response) {
    this.csrf.verify(req);
    const current = await this.signedIn(req, res);
    if (!current) return;
    const name = (await this.consents.listActive(current.account.id)).find((consent) => consent.clientId === clientId)?.clientName ?? clientId;
    await this.consents.revoke(current.account.id, clientId);
    await this.renderServices(req, res, current, name);
  }
}
