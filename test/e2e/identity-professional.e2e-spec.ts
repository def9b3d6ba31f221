import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { CompanyMandate } from '#accounts';
import { launchBrowser, ManualClock, seriousAccessibilityViolations, startCompanyRegistryDouble, startSmtpSink, startTestApp, type CapturedMail, type CompanyRegistryDouble, type SmtpSink, type TestApp } from '#testing';
import { SIMULATED_IDENTITIES, startFranceConnectSimulator, type FranceConnectSimulator } from '../../apps/franceconnect-simulator/simulator.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { workerApp } from '../../apps/worker/worker.app.js';
import { CookieJar, createClient, createVerifiedAccount, formAction, hiddenValue, relyingParty, RP_ORIGIN, startAuthorization, STRONG_PASSWORD } from './identity-support.js';

/**
 * Professional accounts, end to end: the identity app with the FranceConnect simulator and the company-registry
 * double (the API Recherche d'entreprises' HTTP format) in-process, the worker delivering the outbox's mails to a
 * real SMTP sink, and a partner relying party (openid-client 6) receiving the `mandats` claim after consent.
 */

const FC_CLIENT_ID = 'parvis-identity-test';
const FC_CLIENT_SECRET = 'secret-du-client-franceconnect-de-test';
const [ANGELA, PIERRE, FATIMA, LUCAS] = SIMULATED_IDENTITIES as [
  (typeof SIMULATED_IDENTITIES)[number],
  (typeof SIMULATED_IDENTITIES)[number],
  (typeof SIMULATED_IDENTITIES)[number],
  (typeof SIMULATED_IDENTITIES)[number],
];
const BOULANGERIE = '882417512';
const MERCIER = '903124659';
const MERCIER_SIEGE = '90312465900017';
const MERCIER_CLOSED_SITE = '90312465900025';
const IMPRIMERIE_CLOSED = '814572269';
const UNKNOWN = '852001338';

/** A browser visiting several sites: one cookie jar per origin, redirects followed until a page or the RP. */
class Web {
  private readonly jars = new Map<string, CookieJar>();

  private jar(origin: string) {
    let jar = this.jars.get(origin);
    if (!jar) this.jars.set(origin, (jar = new CookieJar()));
    return jar;
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const jar = this.jar(target.origin);
    const headers = new Headers(init.headers);
    if (jar.cookies.size) headers.set('cookie', jar.header());
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    jar.store(response);
    return response;
  }

  async follow(url: string, init?: RequestInit): Promise<{ response: Response; url: string; html: string }> {
    let current = url;
    let response = await this.request(current, init);
    for (let hops = 0; hops < 15 && response.status >= 300 && response.status < 400; hops++) {
      current = new URL(response.headers.get('location')!, current).toString();
      if (current.startsWith(RP_ORIGIN)) return { response, url: current, html: '' };
      response = await this.request(current);
    }
    return { response, url: current, html: await response.text() };
  }

  /** The cookies this browser holds for an origin, for a real browser to continue the session. */
  cookiesFor(origin: string) {
    return [...this.jar(origin).cookies].map(([name, value]) => ({ name, value, url: origin }));
  }

  post(url: string, form: Record<string, string>, follow = true) {
    const init = { method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    return follow ? this.follow(url, init) : this.request(url, init).then(async (response) => ({ response, url, html: await response.text() }));
  }
}

describe('identity: professional accounts (companies and mandates)', () => {
  let simulator: FranceConnectSimulator;
  let registry: CompanyRegistryDouble;
  let sink: SmtpSink;
  let clock: ManualClock;
  let app: TestApp;
  let worker: TestApp;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    simulator = await startFranceConnectSimulator({ port: 0 });
    registry = await startCompanyRegistryDouble();
    sink = await startSmtpSink();
    clock = new ManualClock();
    app = await startTestApp(identityApp, {
      clock,
      env: {
        FRANCECONNECT_ISSUER: simulator.issuer,
        FRANCECONNECT_CLIENT_ID: FC_CLIENT_ID,
        FRANCECONNECT_CLIENT_SECRET: FC_CLIENT_SECRET,
        COMPANY_REGISTRY_URL: registry.url,
        COMPANY_REGISTRY_TIMEOUT_MS: '1000',
      },
    });
    worker = await startTestApp(workerApp, { clock, database: app.database, env: { SMTP_URL: sink.url, OUTBOX_POLL_MS: '50' } });
    simulator.registerClient({
      clientId: FC_CLIENT_ID,
      clientSecret: FC_CLIENT_SECRET,
      redirectUris: [`${app.url}/franceconnect/retour`],
      postLogoutRedirectUris: [`${app.url}/franceconnect/deconnexion`],
    });
    const { secret } = await createClient(app, { allowedScopes: ['openid', 'profile', 'email', 'mandats'], consentRequired: true });
    rp = await relyingParty(app, 'mairie-givors', secret!);
  });
  afterAll(async () => {
    await worker?.close();
    await app?.close();
    await registry?.close();
    await sink?.close();
    await simulator?.stop();
  });

  const uri = (path: string) => `${app.url}${path}`;
  const mandates = () => app.app.get(DataSource).getRepository(CompanyMandate);
  const mailTo = (to: string, subject: string): Promise<CapturedMail> => sink.waitFor((m) => m.to.includes(to) && m.subject === subject, 15_000);
  const linkIn = (mail: CapturedMail) => /(http:\/\/\S+jeton=[A-Za-z0-9_-]+)/.exec(mail.text)![1]!;

  /** Signs into « Mon compte » through FranceConnect as a simulator identity (creating the account the first time). */
  async function fcSignIn(sub: string): Promise<Web> {
    const web = new Web();
    const login = await web.follow(uri('/compte/connexion'));
    const page = await web.post(uri(formAction(login.html, '/compte/franceconnect')), { _csrf: hiddenValue(login.html, '_csrf') });
    const action = new RegExp(`action="(/interaction/[^"]+/login)"><input type="hidden" name="sub" value="${sub}"`).exec(page.html)![1]!;
    let landing = await web.post(`${simulator.origin}${action}`, { sub });
    if (landing.url === uri('/franceconnect/premiere-connexion')) {
      landing = await web.post(uri('/franceconnect/premiere-connexion/creer'), { _csrf: hiddenValue(landing.html, '_csrf') });
    }
    expect(landing.url).toBe(uri('/compte'));
    return web;
  }

  /** Signs into « Mon compte » with a password (an identity not certified by FranceConnect). */
  async function passwordSignIn(email: string): Promise<Web> {
    const web = new Web();
    const login = await web.follow(uri('/compte/connexion'));
    const landing = await web.post(uri('/compte/connexion'), { _csrf: hiddenValue(login.html, '_csrf'), email, password: STRONG_PASSWORD });
    expect(landing.url).toBe(uri('/compte'));
    return web;
  }

  async function area(web: Web, path = '/compte/professionnel') {
    const page = await web.follow(uri(path));
    expect(page.response.status).toBe(200);
    // The area's forms carry the token only when there is something to revoke; the profile page always does.
    const csrf = page.html.includes('name="_csrf"') ? hiddenValue(page.html, '_csrf') : hiddenValue((await web.follow(uri('/compte'))).html, '_csrf');
    return { html: page.html, csrf };
  }

  async function companyPage(web: Web, numero: string) {
    return web.follow(uri(`/compte/professionnel/entreprise?numero=${encodeURIComponent(numero)}`));
  }

  /** Asks a leader for a mandate from the company's page; returns the response of the form. */
  async function requestMandate(web: Web, numero: string, form: Record<string, string>) {
    const page = await companyPage(web, numero);
    expect(page.response.status).toBe(200);
    return web.post(uri('/compte/professionnel/demandes'), { _csrf: hiddenValue(page.html, '_csrf'), numero, ...form }, false);
  }

  /** The partner's authorization with `scope`, consent accepted; returns the userinfo. */
  async function userinfoAfterConsent(web: Web, scope: string) {
    const start = await startAuthorization(rp, { scope });
    let step = await web.follow(start.url.toString());
    let consentHtml = '';
    if (!step.url.startsWith(RP_ORIGIN)) {
      expect(step.html).toContain('/consent"');
      consentHtml = step.html;
      step = await web.post(uri(formAction(step.html, '/consent')), { _csrf: hiddenValue(step.html, '_csrf'), decision: 'accepter' });
    }
    expect(step.url.startsWith(`${RP_ORIGIN}/connexion/retour?`)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(step.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    return { userinfo: await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub), consentHtml };
  }

  it('sends a signed-out person to the login page', async () => {
    const response = await new Web().request(uri('/compte/professionnel'));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/compte/connexion');
  });

  it('verifies a company in the registry: found by SIREN or SIRET; unknown, closed, bad key or registry down → a clear error on the field', async () => {
    await createVerifiedAccount(app, 'camille.pro@example.org');
    const web = await passwordSignIn('camille.pro@example.org');
    const { html } = await area(web);
    expect(html).toContain('<h1>Espace professionnel</h1>');
    expect(html).toContain('aria-current="page">Espace professionnel</a>');
    expect(html).toContain('<label for="numero">Numéro SIREN ou SIRET de l’entreprise</label>');

    const bySiren = await companyPage(web, '882 417 512');
    expect(bySiren.response.status).toBe(200);
    expect(bySiren.html).toContain('<h1>BOULANGERIE DUBOIS</h1>');
    expect(bySiren.html).toContain('88241751200010');
    expect(bySiren.html).toContain('Angela Claire Louise DUBOIS (Gérante)');
    expect(bySiren.html).toContain('reliez votre compte à FranceConnect'); // not certified: no self-declaration offered
    expect(bySiren.html).not.toContain('/compte/professionnel/dirigeant');
    expect(registry.requests.at(-1)).toBe(BOULANGERIE);

    const bySiret = await companyPage(web, MERCIER_SIEGE);
    expect(bySiret.response.status).toBe(200);
    expect(bySiret.html).toContain('MERCIER TRANSPORTS (MT LOGISTIQUE)');
    // Legal-person leaders cannot be asked (they cannot sign in).
    expect(bySiret.html).toContain('Pierre MERCIER (Président de SAS)');
    expect(bySiret.html).not.toContain('AUDIT CONSEIL RHONE');

    const cases: [string, number, string][] = [
      [UNKNOWN, 404, `Aucune entreprise de numéro SIREN ${UNKNOWN} n’est inscrite au répertoire national des entreprises.`],
      [IMPRIMERIE_CLOSED, 409, 'ANCIENNE IMPRIMERIE BENALI (SIREN 814572269) est fermée selon le répertoire national des entreprises'],
      [MERCIER_CLOSED_SITE, 409, 'est fermée selon le répertoire national des entreprises'],
      ['882417513', 422, 'Indiquez un numéro SIREN (9 chiffres) ou SIRET (14 chiffres) valide'],
      ['', 422, 'Indiquez le numéro SIREN ou SIRET de l’entreprise.'],
    ];
    for (const [numero, status, message] of cases) {
      const page = await companyPage(web, numero);
      expect({ numero, status: page.response.status }).toEqual({ numero, status });
      expect(page.html).toContain(message);
      expect(page.html).toContain('<a href="#numero">');
      expect(page.html).toContain('aria-invalid="true" aria-describedby="numero-aide numero-erreur"');
    }
    const checked = registry.requests.length;
    await companyPage(web, '882417513');
    expect(registry.requests.length).toBe(checked); // a bad key never reaches the registry

    registry.failing = 503;
    try {
      const down = await companyPage(web, BOULANGERIE);
      expect(down.response.status).toBe(503);
      expect(down.html).toContain('Le répertoire national des entreprises ne répond pas pour le moment');
    } finally {
      registry.failing = null;
    }
    registry.hanging = true;
    try {
      const slow = await companyPage(web, BOULANGERIE);
      expect(slow.response.status).toBe(503);
      expect(slow.html).toContain('Le répertoire national des entreprises ne répond pas pour le moment');
    } finally {
      registry.hanging = false;
    }
  });

  it('a leader declares themself: a matching certified identity gets an active « dirigeant » mandate; a mismatch or an uncertified identity is refused', async () => {
    const angela = await fcSignIn(ANGELA.sub);
    const page = await companyPage(angela, BOULANGERIE);
    expect(page.html).toContain('Votre identité certifiée par FranceConnect correspond à un dirigeant');
    const declared = await angela.post(uri('/compte/professionnel/dirigeant'), { _csrf: hiddenValue(page.html, '_csrf'), numero: BOULANGERIE }, false);
    expect(declared.response.status).toBe(303);
    const { html, csrf } = await area(angela, declared.response.headers.get('location')!);
    expect(html).toContain('Vous êtes enregistré comme dirigeant de l’entreprise');
    expect(html).toMatch(/BOULANGERIE DUBOIS<br><span class="hint">SIREN 882417512, SIRET 88241751200010<\/span><\/th>\s*<td>Dirigeant<\/td>\s*<td>Actif<\/td>/);

    // Twice: refused, one row.
    const again = await angela.post(uri('/compte/professionnel/dirigeant'), { _csrf: csrf, numero: BOULANGERIE }, false);
    expect(again.response.status).toBe(409);
    expect(again.html).toContain('Vous avez déjà un mandat actif ou une demande en attente pour BOULANGERIE DUBOIS');

    // Not a leader of Mercier Transports.
    const mismatch = await angela.post(uri('/compte/professionnel/dirigeant'), { _csrf: csrf, numero: MERCIER }, false);
    expect(mismatch.response.status).toBe(403);
    expect(mismatch.html).toContain('ne correspond à aucun dirigeant de MERCIER TRANSPORTS (MT LOGISTIQUE)');

    // A password identity, even with the leader's names, is not certified.
    await createVerifiedAccount(app, 'faux.dubois@example.org', STRONG_PASSWORD, { givenName: 'Angela', familyName: 'Dubois', birthdate: '1962-08-24' });
    const impostor = await passwordSignIn('faux.dubois@example.org');
    const own = await area(impostor);
    const refused = await impostor.post(uri('/compte/professionnel/dirigeant'), { _csrf: own.csrf, numero: BOULANGERIE }, false);
    expect(refused.response.status).toBe(403);
    expect(refused.html).toContain('votre identité doit être certifiée par FranceConnect');

    const rows = await mandates().findBy({ siren: BOULANGERIE });
    expect(rows.map((row) => [row.role, row.status, row.leaderName])).toEqual([['dirigeant', 'active', 'Angela Claire Louise DUBOIS']]);
    expect(await mandates().countBy({ siren: MERCIER })).toBe(0);
  });

  it('refuses a form without its CSRF token, storing nothing', async () => {
    const angela = await fcSignIn(ANGELA.sub);
    const before = await mandates().count();
    const missing = await angela.post(uri('/compte/professionnel/demandes'), { numero: MERCIER, dirigeant: '0', email: 'pierre@example.org', etendue: 'demarches' }, false);
    expect(missing.response.status).toBe(403);
    expect(missing.html).toContain('Le formulaire a expiré ou ne vient pas de cette page');
    const forged = await angela.post(uri('/compte/professionnel/dirigeant'), { _csrf: 'faux', numero: BOULANGERIE }, false);
    expect(forged.response.status).toBe(403);
    expect(await mandates().count()).toBe(before);
  });

  let requestLink = '';

  it('a mandate request mails the leader a single-use link; only a certified leader of the company may answer; granting releases the claim after consent', async () => {
    const lucas = await fcSignIn(LUCAS.sub);
    // Form errors: each one on its field, nothing stored.
    const invalid = await requestMandate(lucas, MERCIER, { email: 'pas-une-adresse' });
    expect(invalid.response.status).toBe(422);
    expect(invalid.html).toContain('<a href="#dirigeant-0">Choisissez le dirigeant à qui demander le mandat.</a>');
    expect(invalid.html).toContain('<a href="#email-dirigeant">Indiquez une adresse électronique valide');
    expect(invalid.html).toContain('<a href="#etendue-demarches">Choisissez ce que le mandat vous permettra de faire.</a>');
    expect(invalid.html).toContain('value="pas-une-adresse"');
    expect(await mandates().countBy({ siren: MERCIER })).toBe(0);

    const sent = await requestMandate(lucas, MERCIER_SIEGE, { dirigeant: '0', email: 'Pierre.Pro@example.org', etendue: 'demarches' });
    expect(sent.response.status).toBe(303);
    const mail = await mailTo('pierre.pro@example.org', 'Demande de mandat pour MERCIER TRANSPORTS (MT LOGISTIQUE)');
    expect(mail.text).toContain('Lucas Schmidt demande');
    expect(mail.text).toContain('SIREN 903124659');
    expect(mail.text).toContain('accomplir les démarches en ligne au nom de l’entreprise');
    expect(mail.text).toContain('valable 7 jours');
    requestLink = linkIn(mail);
    expect(requestLink.startsWith(uri('/compte/professionnel/reponse?jeton='))).toBe(true);
    const pending = await area(lucas);
    expect(pending.html).toContain('En attente de réponse');
    expect(pending.html).toContain('demandé à Pierre MERCIER');

    // A second request for the same company while one is pending: refused.
    const twice = await requestMandate(lucas, MERCIER, { dirigeant: '1', email: 'fatima@example.org', etendue: 'suivi' });
    expect(twice.response.status).toBe(409);

    // Signed out: told to sign in; the requester, or a certified person who is not a leader: refused.
    const signedOut = await new Web().follow(requestLink);
    expect(signedOut.html).toContain('connectez-vous à votre compte territorial avec FranceConnect');
    expect((await lucas.follow(requestLink)).response.status).toBe(403);
    const angela = await fcSignIn(ANGELA.sub);
    const notLeader = await angela.follow(requestLink);
    expect(notLeader.response.status).toBe(403);
    expect(notLeader.html).toContain('ne correspond à aucun dirigeant de MERCIER TRANSPORTS');
    const angelaPost = await angela.post(uri('/compte/professionnel/reponse'), { _csrf: (await area(angela)).csrf, jeton: new URL(requestLink).searchParams.get('jeton')!, decision: 'accorder' }, false);
    expect(angelaPost.response.status).toBe(403);
    expect((await mandates().findOneByOrFail({ siren: MERCIER })).status).toBe('pending');

    // The leader, certified by FranceConnect, sees who asks, for which company and what, then grants.
    const pierre = await fcSignIn(PIERRE.sub);
    const review = await pierre.follow(requestLink);
    expect(review.response.status).toBe(200);
    expect(review.html).toContain('<strong>Lucas Schmidt</strong> (lucas.schmidt@example.org) demande un mandat pour agir au nom de <strong>MERCIER TRANSPORTS (MT LOGISTIQUE)</strong>');
    expect(review.html).toContain('identité certifiée par FranceConnect');
    expect(review.html).toContain('accomplir les démarches en ligne au nom de l’entreprise');
    const token = hiddenValue(review.html, 'jeton');
    const granted = await pierre.post(uri('/compte/professionnel/reponse'), { _csrf: hiddenValue(review.html, '_csrf'), jeton: token, decision: 'accorder' });
    expect(granted.response.status).toBe(200);
    expect(granted.html).toContain('Le mandat pour MERCIER TRANSPORTS (MT LOGISTIQUE) est accordé');
    const told = await mailTo('lucas.schmidt@example.org', 'Mandat accordé pour MERCIER TRANSPORTS (MT LOGISTIQUE)');
    expect(told.text).toContain('Pierre Mercier, dirigeant de MERCIER TRANSPORTS (MT LOGISTIQUE) (SIREN 903124659), a accepté');

    // The link is spent.
    expect((await pierre.follow(requestLink)).response.status).toBe(410);
    const replay = await pierre.post(uri('/compte/professionnel/reponse'), { _csrf: hiddenValue(review.html, '_csrf'), jeton: token, decision: 'refuser' }, false);
    expect(replay.response.status).toBe(410);
    expect(replay.html).toContain('Ce lien de demande de mandat n’est plus valable');

    // Both parties see it.
    expect((await area(lucas)).html).toMatch(/MERCIER TRANSPORTS \(MT LOGISTIQUE\)<br><span class="hint">SIREN 903124659, SIRET 90312465900017<\/span><\/th>\s*<td>Mandataire<\/td>\s*<td>Actif<\/td>/);
    expect((await area(pierre)).html).toMatch(/<th scope="row">Lucas Schmidt<\/th>\s*<td>MERCIER TRANSPORTS \(MT LOGISTIQUE\)<br><span class="hint">SIREN 903124659<\/span><\/td>\s*<td>Actif<\/td>/);

    // The partner gets the mandates only under `mandats`, after a consent that says so; not the personal profile.
    const { userinfo, consentHtml } = await userinfoAfterConsent(lucas, 'openid mandats');
    expect(consentHtml).toContain('<strong>Vos mandats professionnels</strong>');
    expect(consentHtml).toContain('ces données professionnelles sont distinctes de vos données personnelles');
    const today = clock.now().toISOString().slice(0, 10);
    expect(userinfo.mandats).toEqual([{ siren: MERCIER, siret: MERCIER_SIEGE, denomination: 'MERCIER TRANSPORTS (MT LOGISTIQUE)', role: 'mandataire', depuis: today }]);
    expect(userinfo.given_name).toBeUndefined();
    const personal = await userinfoAfterConsent(lucas, 'openid profile');
    expect(personal.userinfo.given_name).toBe('Lucas');
    expect(personal.userinfo.mandats).toBeUndefined();
  });

  it('a leader refuses a request; the requester is told and sees it refused', async () => {
    const camille = await passwordSignIn('camille.pro@example.org');
    expect((await requestMandate(camille, BOULANGERIE, { dirigeant: '0', email: 'angela.pro@example.org', etendue: 'suivi' })).response.status).toBe(303);
    const link = linkIn(await mailTo('angela.pro@example.org', 'Demande de mandat pour BOULANGERIE DUBOIS'));
    const angela = await fcSignIn(ANGELA.sub);
    const review = await angela.follow(link);
    expect(review.html).toContain('identité déclarée, non certifiée');
    expect(review.html).toContain('consulter et suivre les démarches de l’entreprise, sans en déposer de nouvelles');
    const refused = await angela.post(uri('/compte/professionnel/reponse'), { _csrf: hiddenValue(review.html, '_csrf'), jeton: hiddenValue(review.html, 'jeton'), decision: 'refuser' });
    expect(refused.response.status).toBe(200);
    expect(refused.html).toContain('Vous avez refusé le mandat pour BOULANGERIE DUBOIS');
    const told = await mailTo('camille.pro@example.org', 'Mandat refusé pour BOULANGERIE DUBOIS');
    expect(told.text).toContain('a refusé votre demande de mandat');
    expect((await area(camille)).html).toMatch(/BOULANGERIE DUBOIS<br>[^]*?<td>Refusé<\/td>/);
    expect((await mandates().findOneByOrFail({ siren: BOULANGERIE, role: 'mandataire' })).status).toBe('refused');
  });

  it('either party revokes; nobody else can; the claim is no longer released', async () => {
    const mandate = await mandates().findOneByOrFail({ siren: MERCIER, status: 'active' });
    // Someone else (Angela) cannot revoke it: as if it did not exist.
    const angela = await fcSignIn(ANGELA.sub);
    const other = await angela.post(uri(`/compte/professionnel/mandats/${mandate.id}/retirer`), { _csrf: (await area(angela)).csrf }, false);
    expect(other.response.status).toBe(404);
    expect(other.html).toContain('Ce mandat n’existe pas ou ne vous concerne pas.');
    expect((await mandates().findOneByOrFail({ id: mandate.id })).status).toBe('active');

    // The leader who granted it revokes it; the holder is told; the partner no longer receives it.
    const pierre = await fcSignIn(PIERRE.sub);
    const page = await area(pierre);
    expect(page.html).toContain(`action="/compte/professionnel/mandats/${mandate.id}/retirer"`);
    const revoked = await pierre.post(uri(`/compte/professionnel/mandats/${mandate.id}/retirer`), { _csrf: page.csrf });
    expect(revoked.response.status).toBe(200);
    expect(revoked.html).toContain('Le mandat est retiré.');
    expect(revoked.html).toMatch(/<th scope="row">Lucas Schmidt<\/th>[^]*?<td>Retiré<\/td>/);
    await mailTo('lucas.schmidt@example.org', 'Mandat retiré pour MERCIER TRANSPORTS (MT LOGISTIQUE)');
    const lucas = await fcSignIn(LUCAS.sub);
    expect((await userinfoAfterConsent(lucas, 'openid mandats')).userinfo.mandats).toEqual([]);
    // Revoking again: no longer active.
    const again = await pierre.post(uri(`/compte/professionnel/mandats/${mandate.id}/retirer`), { _csrf: page.csrf }, false);
    expect(again.response.status).toBe(409);

    // The holder revokes their own « dirigeant » mandate.
    const dirigeant = await mandates().findOneByOrFail({ siren: BOULANGERIE, role: 'dirigeant' });
    const own = await angela.post(uri(`/compte/professionnel/mandats/${dirigeant.id}/retirer`), { _csrf: (await area(angela)).csrf }, false);
    expect(own.response.status).toBe(303);
    expect((await mandates().findOneByOrFail({ id: dirigeant.id })).revokedBy).toBe('holder');
  });

  it('an expired request link cannot be used, and no longer blocks a new request', async () => {
    const camille = await passwordSignIn('camille.pro@example.org');
    expect((await requestMandate(camille, MERCIER, { dirigeant: '1', email: 'fatima.pro@example.org', etendue: 'demarches' })).response.status).toBe(303);
    const link = linkIn(await mailTo('fatima.pro@example.org', 'Demande de mandat pour MERCIER TRANSPORTS (MT LOGISTIQUE)'));
    clock.advance(7 * 24 * 3600_000 + 1);
    const fatima = await fcSignIn(FATIMA.sub);
    const late = await fatima.follow(link);
    expect(late.response.status).toBe(410);
    expect(late.html).toContain('le délai pour y répondre est dépassé');
    const csrf = (await area(fatima)).csrf;
    const post = await fatima.post(uri('/compte/professionnel/reponse'), { _csrf: csrf, jeton: new URL(link).searchParams.get('jeton')!, decision: 'accorder' }, false);
    expect(post.response.status).toBe(410);
    expect(await mandates().countBy({ siren: MERCIER, accountId: (await mandates().findOneByOrFail({ leaderEmail: 'fatima.pro@example.org' })).accountId, status: 'active' })).toBe(0);

    const camilleAgain = await passwordSignIn('camille.pro@example.org');
    expect((await area(camilleAgain)).html).toContain('Expiré sans réponse');
    const before = sink.messages.length;
    expect((await requestMandate(camilleAgain, MERCIER, { dirigeant: '1', email: 'fatima.pro@example.org', etendue: 'demarches' })).response.status).toBe(303);
    await sink.waitForCount(before + 1, 15_000);
    freshLink = linkIn(sink.messages.findLast((m) => m.to.includes('fatima.pro@example.org'))!);
  });

  let freshLink = '';

  it('limits one account to 10 mandate requests in 24 hours (each mails an address the requester typed)', async () => {
    const luhnKey = (digits: string) => {
      for (let key = 0; key <= 9; key++) {
        const candidate = `${digits}${key}`;
        const sum = [...candidate].reverse().reduce((total, char, i) => {
          let d = Number(char) * (i % 2 ? 2 : 1);
          if (d > 9) d -= 9;
          return total + d;
        }, 0);
        if (sum % 10 === 0) return candidate;
      }
      throw new Error('clé introuvable');
    };
    const sirens = Array.from({ length: 10 }, (_, i) => luhnKey(`700000${String(i).padStart(2, '0')}`));
    for (const [i, siren] of sirens.entries()) {
      registry.companies.push({
        siren,
        nom_complet: `ATELIER NUMERO ${i}`,
        etat_administratif: 'A',
        siege: { siret: luhnKey(`${siren}0001`), etat_administratif: 'A', libelle_commune: 'Lyon', code_postal: '69001' },
        dirigeants: [{ type_dirigeant: 'personne physique', nom: 'MERCIER', prenoms: 'Pierre', annee_de_naissance: '1990', qualite: 'Gérant' }],
      });
    }
    await createVerifiedAccount(app, 'dominique.pro@example.org');
    const dominique = await passwordSignIn('dominique.pro@example.org');
    for (const siren of sirens.slice(0, 9)) {
      expect((await requestMandate(dominique, siren, { dirigeant: '0', email: 'pierre.pro@example.org', etendue: 'suivi' })).response.status).toBe(303);
    }
    const tenth = await requestMandate(dominique, MERCIER, { dirigeant: '0', email: 'pierre.pro@example.org', etendue: 'suivi' });
    expect(tenth.response.status).toBe(303);
    const eleventh = await requestMandate(dominique, sirens[9]!, { dirigeant: '0', email: 'pierre.pro@example.org', etendue: 'suivi' });
    expect(eleventh.response.status).toBe(429);
    expect(eleventh.html).toContain('Vous avez envoyé 10 demandes de mandat en 24 heures : c’est le maximum. Réessayez demain.');
    expect(await mandates().countBy({ siren: sirens[9]! })).toBe(0);
  });

  it('has no serious accessibility violation on its pages (axe-core, WCAG 2.1 AA), errors included, in a real browser', async () => {
    const chromium = await launchBrowser();
    try {
      const visit = async (web: Web, path: string, submit?: string) => {
        const context = await chromium.newContext({ bypassCSP: true });
        await context.addCookies(web.cookiesFor(app.url));
        const page = await context.newPage();
        await page.goto(path.startsWith('http') ? path : uri(path));
        if (submit) await Promise.all([page.waitForURL(/\/demandes$/), page.getByRole('button', { name: submit }).click()]);
        await page.waitForLoadState('load');
        const result = { url: page.url(), title: await page.title(), violations: await seriousAccessibilityViolations(page) };
        await context.close();
        return result;
      };
      const camille = await passwordSignIn('camille.pro@example.org');
      const fatima = await fcSignIn(FATIMA.sub);
      const pages = [
        await visit(camille, '/compte/professionnel'),
        await visit(camille, `/compte/professionnel/entreprise?numero=${BOULANGERIE}`),
        await visit(camille, '/compte/professionnel/entreprise?numero=882417513'),
        await visit(camille, `/compte/professionnel/entreprise?numero=${BOULANGERIE}`, 'Envoyer la demande de mandat'),
        await visit(fatima, freshLink),
        await visit(fatima, `/compte/professionnel/entreprise?numero=${MERCIER}`),
      ];
      for (const page of pages) expect({ url: page.url, violations: page.violations }).toEqual({ url: page.url, violations: [] });
      expect(pages[3]!.title).toContain('BOULANGERIE DUBOIS');
    } finally {
      await chromium.close();
    }
  }, 120_000);
});
