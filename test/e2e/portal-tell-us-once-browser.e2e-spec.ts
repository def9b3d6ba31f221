import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { FranceConnectAccounts, MandateService, pivotIdentity, type Account } from '#accounts';
import { REDIS } from '#platform';
import { seedDemoCatalogue } from '#teleservices';
import { seedDemo } from '#territory';
import {
  launchBrowser,
  ManualClock,
  seriousAccessibilityViolations,
  startApiParticulierDouble,
  startBanGeocoderDouble,
  startCompanyRegistryDouble,
  startTestApp,
  type ApiParticulierDouble,
  type BanGeocoderDouble,
  type CompanyRegistryDouble,
  type TestApp,
} from '#testing';
import { SIMULATED_IDENTITIES } from '../../apps/franceconnect-simulator/simulator.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { createVerifiedAccount, STRONG_PASSWORD } from './identity-support.js';
import { seedClients } from './portal-login-support.js';

/** A 1×1 PNG image (real bytes: the type is detected from the content). */
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const SCHOOL = '/demarches/bron/inscription-scolaire/formulaire';
const GRANT = '/demarches/metropole-de-lyon/subvention-association/formulaire';
const RECIPIENT = '20004697700019';
const byName = (family: string) => SIMULATED_IDENTITIES.find((identity) => identity.family_name === family)!;

/**
 * « Dites-le-nous une fois » in the portal, in Chromium (CSP enforced): the identity app with the API Particulier and
 * company registry doubles (real HTTP), the portal with the demo catalogue. Citizens certified by FranceConnect (the
 * simulator's identities, linked as « Mon compte » does) ask for their family quotient from a form page (incremental
 * authorization, consent screen), come back to the same page with the value prefilled and locked, and submit; a
 * refusal leaves the field to type; a leader acts for their company (« Agir pour : … ») in the subsidy form.
 */
jest.setTimeout(120_000);

describe('portal: data held by the administration and mandates, in a real browser', () => {
  let chromium: Browser;
  let api: ApiParticulierDouble;
  let registry: CompanyRegistryDouble;
  let ban: BanGeocoderDouble;
  let identity: TestApp;
  let portal: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    chromium = await launchBrowser();
    api = await startApiParticulierDouble();
    registry = await startCompanyRegistryDouble();
    ban = await startBanGeocoderDouble();
    identity = await startTestApp(identityApp, {
      clock: new ManualClock(),
      env: {
        API_PARTICULIER_URL: api.url,
        API_PARTICULIER_TOKEN: api.token,
        API_PARTICULIER_RECIPIENT: RECIPIENT,
        API_PARTICULIER_TIMEOUT_MS: '5000',
        COMPANY_REGISTRY_URL: registry.url,
        COMPANY_REGISTRY_TIMEOUT_MS: '5000',
      },
    });
    portal = await startTestApp(portalApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url, GEOCODER_URL: ban.url } });
    db = portal.app.get(DataSource);
    await seedDemo(db, portal.clock);
    await seedDemoCatalogue(db, portal.clock);
    await seedClients(identity, { portal: portal.url, backoffice: 'http://127.0.0.1:9' });
  });
  afterAll(async () => {
    await chromium?.close();
    await portal?.close();
    await identity?.close();
    await ban?.close();
    await registry?.close();
    await api?.close();
  });

  /** A password account certified by FranceConnect (linked to a simulator identity), with a postal address. */
  async function certified(email: string, family: string): Promise<Account> {
    const account = await createVerifiedAccount(identity, email, STRONG_PASSWORD, {
      address: { street_address: '14 avenue Franklin Roosevelt', postal_code: '69500', locality: 'Bron', country: 'France' },
    });
    const fc = byName(family);
    return identity.app.get(FranceConnectAccounts).link(account.id, pivotIdentity({ ...fc, sub: `${fc.sub}-${email}` }));
  }

  const press = (page: Page, name: string) => Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);

  async function logIn(page: Page, path: string, email: string) {
    await page.goto(`${portal.url}${path}`);
    await page.getByRole('link', { name: 'Se connecter' }).last().click();
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe').fill(STRONG_PASSWORD);
    await Promise.all([page.waitForURL((url) => url.toString().startsWith(portal.url)), page.getByRole('button', { name: 'Se connecter' }).click()]);
    await page.waitForURL(/\/etape\/[a-z_]+$/);
  }

  async function accessible(context: BrowserContext, url: string) {
    const audit = await chromium.newContext({ bypassCSP: true });
    await audit.addCookies(await context.cookies());
    const page = await audit.newPage();
    await page.goto(url);
    expect({ url, violations: await seriousAccessibilityViolations(page) }).toEqual({ url, violations: [] });
    await audit.close();
  }

  it('asks the CAF for the family quotient from the form page, comes back with it prefilled and locked, and submits', async () => {
    await certified('pierre.quotient@example.org', 'Mercier');
    const context = await chromium.newContext();
    const page = await context.newPage();
    await logIn(page, SCHOOL, 'pierre.quotient@example.org');
    expect(page.url()).toMatch(/\/nouveau\/etape\/responsable$/);
    const quotient = page.getByLabel('Quotient familial CAF');
    expect(await quotient.getAttribute('readonly')).toBeNull();
    await accessible(context, page.url());

    // The button submits the page's form (what was typed is kept, in the form in progress it creates): the territorial
    // account's consent screen, then back to the same page.
    const phone = page.getByLabel('Téléphone');
    await phone.fill('06 12 34 56 78');
    const ask = page.getByRole('button', { name: 'Récupérer mon quotient familial auprès de la CAF' });
    await Promise.all([page.waitForURL((url) => url.toString().startsWith(identity.url)), ask.click()]);
    expect(await page.locator('main').innerText()).toContain('Votre quotient familial, détenu par la CAF ou la MSA');
    await Promise.all([page.waitForURL(/\/[0-9a-f-]{36}\/etape\/responsable$/), page.getByRole('button', { name: 'Accepter et continuer' }).click()]);
    expect(page.url().startsWith(portal.url)).toBe(true);

    expect(await phone.inputValue()).toBe('06 12 34 56 78');
    expect(await quotient.inputValue()).toBe('350');
    expect(await quotient.getAttribute('readonly')).not.toBeNull();
    const main = await page.locator('main').innerText();
    expect(main).toContain('Information transmise par la CAF ou la MSA avec votre accord : elle ne peut pas être modifiée ici.');
    expect(main).toContain('Votre quotient familial a été transmis par la CAF ou la MSA avec votre accord');
    expect(await page.getByRole('button', { name: 'Récupérer mon quotient familial auprès de la CAF' }).count()).toBe(0);
    expect(api.requests.map((r) => r.path)).toContain('/v3/dss/quotient_familial/identite');
    await accessible(context, page.url());

    // Kept apart from the web session (short-lived entry of this form only), never in the session's value.
    const redis = portal.app.get<Redis>(REDIS);
    const cookie = (await context.cookies()).find((c) => c.name === 'parvis_portal')!;
    const prefix = `${portal.config.redis.prefix}:web:portal`;
    const sessionValue = (await redis.get(`${prefix}:s:${cookie.value}`))!;
    expect(sessionValue).toContain('Pierre Mercier');
    expect(sessionValue).not.toContain('quotient_familial');
    expect(sessionValue).not.toContain('valeur');
    expect(Object.values(await redis.hgetall(`${prefix}:claims:${cookie.value}`)).join()).toContain('"valeur":350');
    const ttl = await redis.pttl(`${prefix}:claims:${cookie.value}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30 * 60 * 1000);

    await press(page, 'Continuer');
    await page.waitForURL(/\/[0-9a-f-]{36}\/etape\/enfants_page$/);
    const child = page.locator('#f-enfants-0');
    await child.getByLabel('Prénom (obligatoire)', { exact: true }).fill('Inès');
    await child.getByLabel('Nom (obligatoire)', { exact: true }).fill('Mercier');
    await child.getByLabel('Date de naissance (obligatoire)').fill('2019-04-12');
    await child.getByLabel('Niveau à la rentrée (obligatoire)').selectOption('gs');
    await child.getByLabel('École souhaitée (obligatoire)').selectOption('pasteur');
    await press(page, 'Continuer');
    await page.waitForURL(/\/etape\/pieces$/);
    // The data followed the form from « nouveau » to its draft: going back shows it still locked.
    await page.goto(page.url().replace(/pieces$/, 'responsable'));
    expect(await quotient.inputValue()).toBe('350');
    expect(await quotient.getAttribute('readonly')).not.toBeNull();
    await page.goto(page.url().replace(/responsable$/, 'pieces'));
    await page.getByLabel('Justificatif de domicile de moins de 3 mois (obligatoire)').setInputFiles({ name: 'facture.png', mimeType: 'image/png', buffer: PNG_1PX });
    await page.getByText('facture.png — envoyé').waitFor();
    await page.getByLabel('Livret de famille (pages parents et enfants) (obligatoire)').setInputFiles({ name: 'livret.png', mimeType: 'image/png', buffer: PNG_1PX });
    await page.getByText('livret.png — envoyé').waitFor();
    await page.getByLabel('J’atteste l’exactitude des informations fournies. (obligatoire)').check();
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.waitForURL(/\/recapitulatif$/);
    expect(await page.locator('main').innerText()).toMatch(/Quotient familial CAF\s+350/);
    await page.getByRole('button', { name: 'Envoyer ma demande' }).click();
    await page.waitForURL(/\/recu$/);
    const [row] = await db.query(`SELECT d.data FROM demand d ORDER BY d.submitted_at DESC, d.id LIMIT 1`);
    expect(row.data.quotient).toBe(350);
    await context.close();
  });

  it('a refusal at the consent screen comes back with a French message: the citizen types the value instead', async () => {
    await certified('fatima.refus@example.org', 'Benali');
    const asked = api.requests.length;
    const context = await chromium.newContext();
    const page = await context.newPage();
    await logIn(page, SCHOOL, 'fatima.refus@example.org');
    await Promise.all([page.waitForURL((url) => url.toString().startsWith(identity.url)), page.getByRole('button', { name: 'Récupérer mon quotient familial auprès de la CAF' }).click()]);
    await Promise.all([page.waitForURL(/\/[0-9a-f-]{36}\/etape\/responsable$/), page.getByRole('button', { name: 'Refuser' }).click()]);
    expect(await page.locator('main').innerText()).toContain(
      'Vous n’avez pas autorisé la transmission de votre quotient familial. Saisissez-le ci-dessous et joignez une attestation de quotient familial.',
    );
    const quotient = page.getByLabel('Quotient familial CAF');
    expect(await quotient.getAttribute('readonly')).toBeNull();
    expect(await quotient.inputValue()).toBe('');
    // The button stays, to change one's mind.
    expect(await page.getByRole('button', { name: 'Récupérer mon quotient familial auprès de la CAF' }).count()).toBe(1);
    expect(api.requests.slice(asked)).toEqual([]); // nothing asked of the administration
    await quotient.fill('640');
    await press(page, 'Continuer');
    await page.waitForURL(/\/[0-9a-f-]{36}\/etape\/enfants_page$/);
    await page.goto(page.url().replace(/enfants_page$/, 'responsable'));
    expect(await quotient.inputValue()).toBe('640');
    await context.close();
  });

  it('without JavaScript too: the button keeps what was typed, and the value released wins over a typed quotient', async () => {
    await certified('pierre.sansjs@example.org', 'Mercier');
    const context = await chromium.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await logIn(page, SCHOOL, 'pierre.sansjs@example.org');
    await page.getByLabel('Téléphone').fill('06 98 76 54 32');
    await page.getByLabel('Quotient familial CAF').fill('999');
    await Promise.all([
      page.waitForURL((url) => url.toString().startsWith(identity.url)),
      page.getByRole('button', { name: 'Récupérer mon quotient familial auprès de la CAF' }).click(),
    ]);
    await Promise.all([page.waitForURL(/\/[0-9a-f-]{36}\/etape\/responsable$/), page.getByRole('button', { name: 'Accepter et continuer' }).click()]);
    expect(await page.getByLabel('Téléphone').inputValue()).toBe('06 98 76 54 32');
    const quotient = page.getByLabel('Quotient familial CAF');
    expect(await quotient.inputValue()).toBe('350');
    expect(await quotient.getAttribute('readonly')).not.toBeNull();
    await press(page, 'Continuer');
    await page.waitForURL(/\/[0-9a-f-]{36}\/etape\/enfants_page$/);
    const draftId = /\/([0-9a-f-]{36})\/etape\//.exec(page.url())![1]!;
    const [draft] = await db.query(`SELECT data FROM draft WHERE id = $1`, [draftId]);
    expect({ telephone: draft.data.telephone, quotient: draft.data.quotient }).toEqual({ telephone: '+33698765432', quotient: 350 });
    await context.close();
  });

  it('a leader acts for their company in the subsidy form: the mandate chosen prefills and locks SIRET and name', async () => {
    const account = await certified('pierre.pro@example.org', 'Mercier');
    // The identity's real flow: the certified leader declares themself (registry double, identity matching).
    await identity.app.get(MandateService).declareLeader(account.id, '90312465900017');
    const context = await chromium.newContext();
    const page = await context.newPage();
    await logIn(page, GRANT, 'pierre.pro@example.org');
    expect(page.url()).toMatch(/\/nouveau\/etape\/association_page$/);
    // What is typed before asking, and before choosing the mandate, stays (both are buttons of the page's form).
    const rna = page.getByLabel('Numéro RNA (obligatoire)');
    await rna.fill('W691234567');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Choisir l’entreprise ou l’association pour laquelle j’agis' }).click()]);
    // Professional mandates always need the person's own consent, even for the platform's portal.
    expect(page.url().startsWith(identity.url)).toBe(true);
    expect(await page.locator('main').innerText()).toContain('Vos mandats professionnels');
    await Promise.all([page.waitForURL(/\/etape\/association_page$/), page.getByRole('button', { name: 'Accepter et continuer' }).click()]);
    await page.waitForURL(/\/[0-9a-f-]{36}\/etape\/association_page$/);
    expect(await rna.inputValue()).toBe('W691234567');
    const choice = page.getByLabel(/^Agir pour : MERCIER TRANSPORTS.* \(SIRET 903 124 659 00017\)$/);
    await choice.check();
    await press(page, 'Agir pour cette entreprise');
    await page.waitForURL(/\/[0-9a-f-]{36}\/etape\/association_page$/);
    const name = page.getByLabel('Nom de l’association (obligatoire)');
    const siret = page.getByLabel('Numéro SIRET (obligatoire)');
    expect(await siret.inputValue()).toBe('90312465900017');
    expect(await name.inputValue()).toMatch(/^MERCIER TRANSPORTS/);
    expect(await siret.getAttribute('readonly')).not.toBeNull();
    expect(await name.getAttribute('readonly')).not.toBeNull();
    expect(await rna.inputValue()).toBe('W691234567');
    expect(await page.locator('main').innerText()).toContain('Information de votre mandat : elle ne peut pas être modifiée ici.');
    expect(await page.getByLabel(/^Agir pour : MERCIER TRANSPORTS/).isChecked()).toBe(true);
    await accessible(context, page.url());
    await context.close();
  });

  it('a citizen without a mandate is told how to get one (« Espace professionnel » of the account)', async () => {
    await certified('fatima.sansmandat@example.org', 'Benali');
    const context = await chromium.newContext();
    const page = await context.newPage();
    await logIn(page, GRANT, 'fatima.sansmandat@example.org');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Choisir l’entreprise ou l’association pour laquelle j’agis' }).click()]);
    if (page.url().startsWith(identity.url)) {
      await Promise.all([page.waitForURL(/\/etape\/association_page$/), page.getByRole('button', { name: 'Accepter et continuer' }).click()]);
    }
    await page.waitForURL(/\/[0-9a-f-]{36}\/etape\/association_page$/);
    expect(await page.locator('main').innerText()).toContain('Vous n’avez aucun mandat actif pour une entreprise ou une association.');
    expect(await page.getByRole('link', { name: 'Gérer mes mandats dans l’Espace professionnel de mon compte' }).getAttribute('href')).toBe(`${identity.url}/compte/professionnel`);
    const siret = page.getByLabel('Numéro SIRET (obligatoire)');
    expect(await siret.getAttribute('readonly')).toBeNull();
    await siret.fill('90312465900017');
    expect(await siret.inputValue()).toBe('90312465900017');
    await context.close();
  });
});
