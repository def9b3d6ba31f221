import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AccountErasure, FranceConnectAccounts, MandateService, pivotIdentity, type Account } from '#accounts';
import { seedDemoCatalogue } from '#teleservices';
import { seedDemo } from '#territory';
import {
  ManualClock,
  startApiParticulierDouble,
  startCompanyRegistryDouble,
  startTestApp,
  type ApiParticulierDouble,
  type CompanyRegistryDouble,
  type TestApp,
} from '#testing';
import { SIMULATED_IDENTITIES, startFranceConnectSimulator, type FranceConnectSimulator } from '../../apps/franceconnect-simulator/simulator.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { createVerifiedAccount, formAction, hiddenValue, STRONG_PASSWORD } from './identity-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

const SCHOOL = '/demarches/bron/inscription-scolaire/formulaire';
const RECIPIENT = '20004697700019';
const FC_CLIENT_ID = 'parvis-identity-test';
const FC_CLIENT_SECRET = 'secret-du-client-franceconnect-de-test';
const byName = (family: string) => SIMULATED_IDENTITIES.find((identity) => identity.family_name === family)!;
const decode = (text: string) => text.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=').replace(/&#x27;/g, "'");
const form = (body: Record<string, string>): RequestInit => ({ method: 'POST', body: new URLSearchParams(body), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

/** The values a form page would send as is: its text inputs (hidden ones included), by name. */
function inputsOf(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [tag] of html.matchAll(/<input\b[^>]*>/g)) {
    const name = /\sname="([^"]+)"/.exec(tag)?.[1];
    const type = /\stype="([^"]+)"/.exec(tag)?.[1] ?? 'text';
    if (!name || ['radio', 'checkbox', 'file'].includes(type)) continue;
    out[decode(name)] = decode(/\svalue="([^"]*)"/.exec(tag)?.[1] ?? '');
  }
  return out;
}

/**
 * « Dites-le-nous une fois » in the portal over HTTP (identity app, portal, API Particulier and registry doubles):
 * a tampered locked value is refused by the server; unknown scopes and signed-out visitors at `/auth/autorisation`;
 * the administration not answering. The identity's follow-ups for mandates: the leader signed out who opens the
 * request's link lands back on it after the account area's login (local paths only), and the mandates are in the
 * « Mes données » export.
 */
jest.setTimeout(60_000);

describe('portal and identity: « Dites-le-nous une fois » and mandates (HTTP)', () => {
  let api: ApiParticulierDouble;
  let registry: CompanyRegistryDouble;
  let simulator: FranceConnectSimulator;
  let identity: TestApp;
  let portal: TestApp;

  beforeAll(async () => {
    api = await startApiParticulierDouble();
    registry = await startCompanyRegistryDouble();
    simulator = await startFranceConnectSimulator({ port: 0 });
    identity = await startTestApp(identityApp, {
      clock: new ManualClock(),
      env: {
        FRANCECONNECT_ISSUER: simulator.issuer,
        FRANCECONNECT_CLIENT_ID: FC_CLIENT_ID,
        FRANCECONNECT_CLIENT_SECRET: FC_CLIENT_SECRET,
        API_PARTICULIER_URL: api.url,
        API_PARTICULIER_TOKEN: api.token,
        API_PARTICULIER_RECIPIENT: RECIPIENT,
        API_PARTICULIER_TIMEOUT_MS: '5000',
        COMPANY_REGISTRY_URL: registry.url,
        COMPANY_REGISTRY_TIMEOUT_MS: '5000',
      },
    });
    simulator.registerClient({
      clientId: FC_CLIENT_ID,
      clientSecret: FC_CLIENT_SECRET,
      redirectUris: [`${identity.url}/franceconnect/retour`],
      postLogoutRedirectUris: [`${identity.url}/franceconnect/deconnexion`],
    });
    portal = await startTestApp(portalApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    const db = portal.app.get(DataSource);
    await seedDemo(db, portal.clock);
    await seedDemoCatalogue(db, portal.clock);
    await seedClients(identity, { portal: portal.url, backoffice: 'http://127.0.0.1:9' });
  });
  afterAll(async () => {
    await portal?.close();
    await identity?.close();
    await simulator?.stop();
    await registry?.close();
    await api?.close();
  });
  beforeEach(() => api.reset());

  async function certified(email: string, family: string): Promise<Account> {
    const account = await createVerifiedAccount(identity, email, STRONG_PASSWORD, {
      address: { street_address: '14 avenue Franklin Roosevelt', postal_code: '69500', locality: 'Bron', country: 'France' },
    });
    const fc = byName(family);
    return identity.app.get(FranceConnectAccounts).link(account.id, pivotIdentity({ ...fc, sub: `${fc.sub}-${email}` }));
  }

  /**
   * Logged into the portal on the school form's first page, a phone number typed, then through the quotient's button
   * (a button of the page's form: the answers typed travel with it) and the consent screen.
   */
  async function withQuotient(email: string, decision: 'accepter' | 'refuser' = 'accepter') {
    const browser = new WebBrowser();
    const first = await logIn(browser, portal.url, email, { returnTo: SCHOOL });
    expect(first.url).toBe(`${portal.url}${SCHOOL}/nouveau/etape/responsable`);
    expect(first.html).toContain('<button class="button secondary" type="submit" form="page-form" name="_action" value="autorisation:quotient_familial">Récupérer mon quotient familial auprès de la CAF</button>');
    expect(first.html).toContain('<form id="page-form" class="demand-form" method="post"');
    expect(first.html).not.toContain('/auth/autorisation');
    const asked = await browser.request(`${portal.url}${SCHOOL}/nouveau/etape/responsable`, form({ ...inputsOf(first.html), 'f.telephone': '06 12 34 56 78', _action: 'autorisation:quotient_familial' }));
    expect(asked.status).toBe(303);
    const href = asked.headers.get('location')!;
    const query = new URL(href, portal.url);
    expect(query.pathname).toBe('/auth/autorisation');
    expect(query.searchParams.get('portee')).toBe('quotient_familial');
    // The answers are kept in the form in progress now created: the data released is kept for it, and back to it.
    const returnTo = query.searchParams.get('returnTo')!;
    expect(returnTo).toMatch(new RegExp(`^${SCHOOL}/[0-9a-f-]{36}/etape/responsable$`));
    expect(query.searchParams.get('cle')).toBe(/\/([0-9a-f-]{36})\//.exec(returnTo)![1]);
    const consent = await browser.follow(`${portal.url}${href}`);
    expect(consent.url.startsWith(identity.url)).toBe(true);
    expect(consent.html).toContain('Votre quotient familial, détenu par la CAF ou la MSA');
    const back = await browser.follow(new URL(formAction(consent.html, '/consent'), consent.url).toString(), form({ _csrf: hiddenValue(consent.html, '_csrf'), decision }));
    expect(back.url).toBe(`${portal.url}${returnTo}`);
    expect(inputsOf(back.html)['f.telephone']).toBe('06 12 34 56 78');
    return { browser, page: back };
  }

  it('refuses a tampered locked quotient (422, field error, nothing saved) and accepts the administration’s value', async () => {
    await certified('pierre.tamper@example.org', 'Mercier');
    const { browser, page } = await withQuotient('pierre.tamper@example.org');
    expect(page.html).toMatch(/name="f\.quotient" type="text" value="350"[^>]* readonly aria-readonly="true"/);

    const sent = { ...inputsOf(page.html), _action: 'continue', 'f.quotient': '120' };
    const refused = await browser.follow(page.url, form(sent));
    expect(refused.response.status).toBe(422);
    expect(refused.url).toMatch(/\/formulaire\/[0-9a-f-]{36}\/etape\/responsable$/);
    expect(refused.html).toContain('Cette valeur est transmise par l’administration et ne peut pas être modifiée.');
    expect(refused.html).toContain('href="#f-quotient"');
    // The page shows the administration's value again, still locked; the draft holds nothing typed for it.
    expect(refused.html).toMatch(/name="f\.quotient" type="text" value="350"[^>]* readonly/);
    const draftId = /\/formulaire\/([0-9a-f-]{36})\//.exec(refused.url)![1]!;
    const [draft] = await portal.app.get(DataSource).query(`SELECT data FROM draft WHERE id = $1`, [draftId]);
    expect(draft.data.quotient).toBeUndefined();

    const accepted = await browser.follow(refused.url, form({ ...inputsOf(refused.html), _action: 'continue' }));
    expect(accepted.url).toBe(`${portal.url}${SCHOOL}/${draftId}/etape/enfants_page`);
    const [saved] = await portal.app.get(DataSource).query(`SELECT data FROM draft WHERE id = $1`, [draftId]);
    expect(saved.data.quotient).toBe(350);
  });

  it('keeps what was typed through the consent; a scope the page does not offer is refused (422), CSRF checked', async () => {
    await certified('pierre.garde@example.org', 'Mercier');
    const { browser, page } = await withQuotient('pierre.garde@example.org', 'refuser');
    expect(page.response.status).toBe(200);
    expect(page.html).toContain('Vous n’avez pas autorisé la transmission de votre quotient familial.');
    expect(page.html).not.toMatch(/name="f\.quotient"[^>]* readonly/);
    const db = portal.app.get(DataSource);
    const draftsBefore = await db.query(`SELECT id, data FROM draft ORDER BY id`);

    // Not offered by this page (no field prefills from it), or not any more: 422, a French message, nothing kept.
    for (const scope of ['droits_sociaux', 'mandats', 'profile', '']) {
      const answer = await browser.follow(page.url, form({ ...inputsOf(page.html), 'f.telephone': '07 00 00 00 00', _action: `autorisation:${scope}` }));
      expect({ scope, status: answer.response.status }).toEqual({ scope, status: 422 });
      expect(answer.html).toContain('Cette information ne peut pas être demandée à l’administration depuis cette page.');
    }
    // Choosing a mandate where the page offers none: 422 too.
    const mandate = await browser.follow(page.url, form({ ...inputsOf(page.html), _action: 'mandat', mandat: '90312465900017' }));
    expect(mandate.response.status).toBe(422);
    expect(mandate.html).toContain('Choisissez l’une de vos entreprises (ou associations) dans la liste de vos mandats');
    // On a new form, nothing is created either.
    const fresh = await browser.follow(`${portal.url}${SCHOOL}/nouveau/etape/responsable`, form({ ...inputsOf(page.html), _action: 'autorisation:droits_sociaux' }));
    expect(fresh.response.status).toBe(422);
    expect(await db.query(`SELECT id, data FROM draft ORDER BY id`)).toEqual(draftsBefore);
    // The page's form carries its CSRF token: without it, refused.
    const withoutToken = inputsOf(page.html);
    delete withoutToken._csrf;
    const forged = await browser.request(page.url, form({ ...withoutToken, _action: 'autorisation:quotient_familial' }));
    expect(forged.status).toBe(403);
  });

  it('API Particulier not answering: the consent is given, nothing comes back, the page says so and the field stays free', async () => {
    await certified('fatima.panne@example.org', 'Benali');
    api.failing = 503;
    const { page } = await withQuotient('fatima.panne@example.org');
    expect(page.html).toContain('La CAF ou la MSA n’a transmis aucune information');
    expect(page.html).toContain('Saisissez-le ci-dessous et joignez une attestation de quotient familial.');
    expect(page.html).not.toMatch(/name="f\.quotient"[^>]* readonly/);
  });

  it('asks only for the scopes the app offers, of a signed-in person, for a valid purpose', async () => {
    const anonymous = new WebBrowser();
    const signedOut = await anonymous.request(`${portal.url}/auth/autorisation?portee=quotient_familial&cle=x&returnTo=${encodeURIComponent(`${SCHOOL}`)}`);
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toBe(`/auth/login?returnTo=${encodeURIComponent(SCHOOL)}`);

    await createVerifiedAccount(identity, 'curieux@example.org');
    const browser = new WebBrowser();
    await logIn(browser, portal.url, 'curieux@example.org');
    for (const [query, message] of [
      ['portee=profile&cle=x', 'Cette autorisation n’est pas proposée ici.'],
      ['portee=openid%20mandats&cle=x', 'Cette autorisation n’est pas proposée ici.'],
      ['portee=mandats&cle=%2F..%2F', 'Cette autorisation ne peut pas être demandée depuis cette page.'],
    ] as const) {
      const answer = await browser.follow(`${portal.url}/auth/autorisation?${query}&returnTo=%2F`);
      expect({ query, status: answer.response.status }).toEqual({ query, status: 422 });
      expect(answer.html).toContain(message);
    }
    // A return path to another site becomes the portal's home.
    const away = await browser.request(`${portal.url}/auth/autorisation?portee=mandats&cle=x&returnTo=${encodeURIComponent('//evil.example/')}`);
    expect(away.status).toBe(303);
    const authorize = new URL(away.headers.get('location')!);
    expect(authorize.searchParams.get('scope')).toBe('openid mandats');
  });

  describe('identity: mandates', () => {
    async function requestFromPierre(requesterEmail: string) {
      const requester = await createVerifiedAccount(identity, requesterEmail);
      let token = '';
      const mandate = await identity.app.get(MandateService).requestMandate(
        requester.id,
        { number: '903124659', leader: '0', leaderEmail: 'pierre.dirigeant@example.org', scope: 'demarches' },
        { respond: (t) => ((token = t), `${identity.url}/compte/professionnel/reponse?jeton=${t}`), area: () => `${identity.url}/compte/professionnel` },
      );
      return { requester, mandate, token };
    }

    it('a leader signed out who opens the request’s link signs in and lands back on it', async () => {
      await certified('pierre.dirigeant@example.org', 'Mercier');
      const { token } = await requestFromPierre('demandeuse@example.org');
      const browser = new WebBrowser();
      const link = `${identity.url}/compte/professionnel/reponse?jeton=${token}`;
      const signedOut = await browser.follow(link);
      expect(signedOut.html).toContain('vous reviendrez ensuite sur cette demande');
      const loginHref = decode(/href="(\/compte\/connexion\?retour(?:=|&#x3D;)[^"]+)"/.exec(signedOut.html)![1]!);
      expect(new URL(loginHref, identity.url).searchParams.get('retour')).toBe(`/compte/professionnel/reponse?jeton=${token}`);

      const login = await browser.follow(`${identity.url}${loginHref}`);
      expect(login.html).toContain('Se connecter à votre compte');
      const answer = await browser.post(`${identity.url}/compte/connexion`, { _csrf: hiddenValue(login.html, '_csrf'), email: 'pierre.dirigeant@example.org', password: STRONG_PASSWORD });
      expect(answer.status).toBe(303);
      expect(answer.headers.get('location')).toBe(`/compte/professionnel/reponse?jeton=${token}`);
      const review = await browser.follow(`${identity.url}${answer.headers.get('location')}`);
      expect(review.response.status).toBe(200);
      expect(review.html).toContain('MERCIER TRANSPORTS');
      expect(review.html).toContain('value="accorder"');

      // Signed in, the login page with a return path goes there at once; the next login without one goes to « Mon compte ».
      const again = await browser.request(`${identity.url}/compte/connexion?retour=${encodeURIComponent('/compte/professionnel')}`);
      expect(again.headers.get('location')).toBe('/compte/professionnel');
    });

    it('the same through « S’identifier avec FranceConnect » on the account area’s login', async () => {
      const angela = byName('Dubois');
      const account = await createVerifiedAccount(identity, 'angela.dirigeante@example.org');
      await identity.app.get(FranceConnectAccounts).link(account.id, pivotIdentity({ ...angela }));
      const requester = await createVerifiedAccount(identity, 'mitron@example.org');
      let token = '';
      await identity.app.get(MandateService).requestMandate(
        requester.id,
        { number: '882417512', leader: '0', leaderEmail: 'angela.dirigeante@example.org', scope: 'demarches' },
        { respond: (t) => ((token = t), 'http://lien'), area: () => 'http://espace' },
      );
      const browser = new WebBrowser();
      const signedOut = await browser.follow(`${identity.url}/compte/professionnel/reponse?jeton=${token}`);
      const loginHref = decode(/href="(\/compte\/connexion\?retour(?:=|&#x3D;)[^"]+)"/.exec(signedOut.html)![1]!);
      const login = await browser.follow(`${identity.url}${loginHref}`);
      const atFc = await browser.follow(new URL(formAction(login.html, '/compte/franceconnect'), identity.url).toString(), form({ _csrf: hiddenValue(login.html, '_csrf') }));
      expect(atFc.url.startsWith(simulator.origin)).toBe(true);
      const action = new RegExp(`action="(/interaction/[^"]+/login)"><input type="hidden" name="sub" value="${angela.sub}"`).exec(atFc.html)![1]!;
      const landing = await browser.follow(`${simulator.origin}${action}`, form({ sub: angela.sub }));
      expect(landing.url).toBe(`${identity.url}/compte/professionnel/reponse?jeton=${token}`);
      expect(landing.html).toContain('BOULANGERIE DUBOIS');
      expect(landing.html).toContain('value="accorder"');
    });

    it('only a local path of the account area is a return path', async () => {
      await createVerifiedAccount(identity, 'retour@example.org');
      for (const retour of ['//evil.example/compte/', 'https://evil.example/compte/', '/\\evil.example', '/compte/../oidc/auth', '/oidc/session/end', '/compte/connexion', '/compte/x\u0000y']) {
        const browser = new WebBrowser();
        const login = await browser.follow(`${identity.url}/compte/connexion?retour=${encodeURIComponent(retour)}`);
        const answer = await browser.post(`${identity.url}/compte/connexion`, { _csrf: hiddenValue(login.html, '_csrf'), email: 'retour@example.org', password: STRONG_PASSWORD });
        expect({ retour, location: answer.headers.get('location') }).toEqual({ retour, location: '/compte' });
      }
    });

    it('« Mes données » exports the mandates held and those granted as a leader', async () => {
      const leader = await certified('pierre.export@example.org', 'Mercier');
      const held = await identity.app.get(MandateService).declareLeader(leader.id, '903124659');
      const requester = await createVerifiedAccount(identity, 'mandataire.export@example.org', STRONG_PASSWORD, { givenName: 'Jeanne', familyName: 'Mandataire' });
      let token = '';
      await identity.app.get(MandateService).requestMandate(
        requester.id,
        { number: '903124659', leader: '0', leaderEmail: 'pierre.export@example.org', scope: 'suivi' },
        { respond: (t) => ((token = t), 'http://lien'), area: () => 'http://espace' },
      );
      await identity.app.get(MandateService).decide(token, leader.id, true, { respond: () => 'http://lien', area: () => 'http://espace' });

      const leaderExport = (await identity.app.get(AccountErasure).export(leader.id))!;
      expect(leaderExport.mandats).toEqual({
        detenus: [
          expect.objectContaining({ siren: '903124659', siret: held.siret, denomination: held.denomination, role: 'dirigeant', etendue: 'demarches', statut: 'active', actif_depuis: expect.any(String), dirigeant: expect.objectContaining({ nom: expect.stringMatching(/MERCIER/i) }) }),
        ],
        accordes: [expect.objectContaining({ siren: '903124659', role: 'mandataire', etendue: 'suivi', statut: 'active', titulaire: 'Jeanne Mandataire' })],
      });
      const requesterExport = (await identity.app.get(AccountErasure).export(requester.id))!;
      expect(requesterExport.mandats).toEqual({
        detenus: [expect.objectContaining({ siren: '903124659', statut: 'active', dirigeant: expect.objectContaining({ adresse_electronique: 'pierre.export@example.org' }) })],
        accordes: [],
      });
      expect(JSON.stringify(requesterExport)).not.toContain(token);
    });
  });
});
