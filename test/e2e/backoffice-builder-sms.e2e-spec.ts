import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AgentRoleService, backofficeSubjectForEmail } from '#agents';
import { ManualClock } from '#core';
import { contactPhoneOf } from '#notifications';
import { seedDemo } from '#territory';
import { startTestApp, type TestApp } from '#testing';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { createVerifiedAccount, hiddenValue, STRONG_PASSWORD } from './identity-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

/**
 * The builder offers the SMS consent box (issue 6): on the phone field marked for SMS (format phone_fr, prefilled
 * from the profile's phone), a hint says that citizens without account are texted only with the box
 * `consentement_sms`, and « Ajouter la case d’accord pour les SMS » inserts it right after the field, once; the draft
 * validates and publishes, and the published form is one #notifications texts.
 */
const ADMIN = 'morgane.admin-sms@example.org';
const BUTTON = 'Ajouter la case d’accord pour les SMS';

type Page_ = { response: Response; url: string; html: string };
type Field = { id: string; type: string; label: string; required?: boolean };

describe('back-office builder: the SMS consent box next to the phone field', () => {
  let identity: TestApp;
  let backoffice: TestApp;
  let admin: WebBrowser;
  let givorsTestInstance: string;

  const dataSource = () => backoffice.app.get(DataSource);
  const get = (path: string) => admin.follow(`${backoffice.url}${path}`);
  const submit = (path: string, fields: Record<string, string>, from: Page_): Promise<Page_> => {
    const body = new URLSearchParams({ _csrf: hiddenValue(from.html, '_csrf'), ...fields });
    return admin.follow(`${backoffice.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  };
  const revisionOf = (page: Page_) => hiddenValue(page.html, 'revision');
  const draftFields = async (id: string): Promise<Field[]> =>
    (await dataSource().query<{ form: { pages: { fields: Field[] }[] } }[]>(`SELECT form FROM teleservice_version WHERE teleservice_id = $1 AND state = 'draft'`, [id]))[0].form.pages.flatMap((p) => p.fields);

  beforeAll(async () => {
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    await seedClients(identity, { portal: 'http://127.0.0.1:9', backoffice: backoffice.url });
    await seedDemo(dataSource(), backoffice.clock);
    givorsTestInstance = (await dataSource().query<{ id: string }[]>(`SELECT id FROM instance WHERE slug = 'givors-test'`))[0].id;
    await createVerifiedAccount(identity, ADMIN, STRONG_PASSWORD, { givenName: 'Morgane', familyName: 'Admin' });
    const { sub } = await backofficeSubjectForEmail(dataSource(), backoffice.config, backoffice.clock, ADMIN);
    await backoffice.app.get(AgentRoleService).grant({ accountSub: sub, accountEmail: ADMIN, collectivity: 'givors', role: 'administrator' });
    admin = new WebBrowser();
    await logIn(admin, backoffice.url, ADMIN, { returnTo: '/tableau-de-bord' });
  });
  afterAll(async () => {
    await backoffice?.close();
    await identity?.close();
  });

  it('offers the box on the marked phone field only, adds it once right after the field, and the draft publishes', async () => {
    let page = await submit(
      '/teleservices',
      { instance: givorsTestInstance, titre: 'Signalement avec suivi SMS', identifiant: 'signalement-sms', type: 'communal', resume: 'Un signalement suivi par SMS' },
      await get('/teleservices'),
    );
    const id = /\/teleservices\/([0-9a-f-]{36})\?fait=cree$/.exec(page.url)![1];
    const base = `/teleservices/${id}`;

    // A plain text field: nothing about SMS.
    page = await submit(`${base}/pages/0/champs`, { revision: revisionOf(page), type: 'text' }, page);
    const nameLoc = /\/champs\/(0-\d+)\?fait=ajoute$/.exec(page.url)![1];
    page = await submit(`${base}/champs/${nameLoc}`, { revision: revisionOf(page), id: 'nom', label: 'Nom' }, page);
    expect(page.html).not.toContain(BUTTON);
    page = await submit(`${base}/pages/0/champs`, { revision: revisionOf(page), type: 'text' }, page);
    const loc = /\/champs\/(0-\d+)\?fait=ajoute$/.exec(page.url)![1];
    // A phone field, not prefilled from the profile: still nothing (it is not the number texted).
    page = await submit(`${base}/champs/${loc}`, { revision: revisionOf(page), id: 'mobile', label: 'Téléphone mobile', format: 'phone_fr' }, page);
    expect(page.html).not.toContain(BUTTON);

    // Marked as the citizen's phone: the hint and the button.
    page = await submit(`${base}/champs/${loc}`, { revision: revisionOf(page), id: 'mobile', label: 'Téléphone mobile', format: 'phone_fr', 'prefill.attribute': 'phone' }, page);
    expect(page.response.status).toBe(200);
    expect(page.html).toContain('<h2 id="sms-suivi">SMS de suivi</h2>');
    expect(page.html).toContain('un usager sans compte n’est jamais prévenu par SMS');
    expect(page.html).toContain(`<form method="post" action="${base}/champs/${loc}/consentement-sms">`);
    expect(page.html).toContain(`<button class="button secondary" type="submit" aria-describedby="sms-suivi-aide">${BUTTON}</button>`);
    const before = await draftFields(id);

    page = await submit(`${base}/champs/${loc}/consentement-sms`, { revision: revisionOf(page) }, page);
    expect(page.url).toBe(`${backoffice.url}${base}/champs/${loc}?fait=sms`);
    expect(page.html).toContain('La case d’accord pour les SMS a été ajoutée juste après ce champ.');
    expect(page.html).toContain('La case d’accord pour les SMS est dans le formulaire.');
    expect(page.html).not.toContain(BUTTON);
    const after = await draftFields(id);
    const phoneAt = after.findIndex((f) => f.id === 'mobile');
    expect(after).toHaveLength(before.length + 1);
    expect(after[phoneAt + 1]).toEqual({ type: 'checkbox', id: 'consentement_sms', label: 'J’accepte de recevoir par SMS le suivi de ma demande' });

    // A second click (a form posted again with the new revision): nothing more.
    page = await submit(`${base}/champs/${loc}/consentement-sms`, { revision: revisionOf(page) }, page);
    expect(page.url).toBe(`${backoffice.url}${base}/champs/${loc}?fait=sms-deja`);
    expect((await draftFields(id)).filter((f) => f.id === 'consentement_sms')).toHaveLength(1);
    // On a field that is not the marked phone: refused, nothing stored.
    const refused = await submit(`${base}/champs/${nameLoc}/consentement-sms`, { revision: revisionOf(page) }, page);
    expect(refused.response.status).toBe(422);
    expect(refused.html).toContain('La case d’accord pour les SMS s’ajoute après un champ téléphone');
    expect(await draftFields(id)).toEqual(after);

    // The draft validates and publishes; the published form is texted with the box ticked only.
    page = await get(base);
    expect(page.html).toContain('Le brouillon est prêt à être publié.');
    page = await submit(`${base}/publier`, {}, page);
    expect(page.url).toBe(`${backoffice.url}${base}?fait=publie`);
    const [{ form }] = await dataSource().query<{ form: unknown }[]>(`SELECT form FROM teleservice_version WHERE teleservice_id = $1 AND state = 'published'`, [id]);
    expect(contactPhoneOf(form, { mobile: '06 12 34 56 78', consentement_sms: true })).toBe('+33612345678');
    expect(contactPhoneOf(form, { mobile: '06 12 34 56 78', consentement_sms: false })).toBeNull();
  });
});
