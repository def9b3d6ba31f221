import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { AgentRoleService, backofficeSubjectForEmail, type AgentRoleName } from '#agents';
import { ATTACHMENT_STORAGE, DemandRepository, platformScope, withTenant, type AttachmentStorage } from '#demands';
import { TeleserviceRepository } from '#teleservices';
import { givenInstance, givenMembership, ManualClock, runScript, startSmtpSink, startTestApp, type SmtpSink, type TestApp } from '#testing';
import { seedEngine, PNG_BYTES, TEST_FORM, TEST_WORKFLOW, type EngineSeed } from '../../apps/engine/engine-test-fixture.js';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { portalApp } from '../../apps/portal/portal.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { workerApp } from '../../apps/worker/worker.app.js';
import { Browser, createVerifiedAccount, hiddenValue, logInAndConsent, relyingParty, RP_CALLBACK, startAuthorization, STRONG_PASSWORD } from './identity-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

/**
 * Commune administration and platform operation in the back office (issue 7, docs/administration.md), through the
 * real login: invitations (role + mail through the outbox and the worker to a real SMTP server), role changes,
 * revocation with confirmation, the last-administrator guard, branding (contrast, logo sniffing), offer changes
 * following DOMAIN.md (refused while demands are open or instances active), instances, identity clients (secret
 * shown once; the old one stops working at the token endpoint). Every route refuses another commune's
 * administrator and plain agents.
 */
const run = promisify(execFile);
const GIVORS_ADMIN = 'claude.admin@givors.test';
const BRON_ADMIN = 'sacha.admin@bron.test';
const GIVORS_AGENT = 'lou.agent@givors.test';
const PLATFORM = 'equipe.plateforme@metropole.test';
const INVITEE = 'nouvel.agent@givors.test';

describe('back-office administration: agents, branding, offers, instances, identity clients', () => {
  let identity: TestApp;
  let backoffice: TestApp;
  let worker: TestApp;
  let sink: SmtpSink;
  let seed: EngineSeed;
  const browsers: Record<string, WebBrowser> = {};
  const subs: Record<string, string> = {};

  const db = () => backoffice.app.get(DataSource);
  const pageOf = (who: string, path: string) => browsers[who].follow(`${backoffice.url}${path}`);
  const post = async (who: string, path: string, form: Record<string, string | string[]>) => {
    const csrf = hiddenValue((await pageOf(who, '/tableau-de-bord')).html, '_csrf');
    const body = new URLSearchParams({ _csrf: csrf });
    for (const [name, value] of Object.entries(form)) for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
    return browsers[who].request(`${backoffice.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  };
  const activeRoles = async (email: string, slug: string) =>
    (
      await db().query<{ role: string }[]>(
        `SELECT r.role FROM agent_role r JOIN collectivity c ON c.id = r.collectivity_id WHERE r.account_email = $1 AND c.slug = $2 AND r.revoked_at IS NULL ORDER BY r.role`,
        [email, slug],
      )
    ).map((r) => r.role);
  const journal = (action: string) => db().query<{ actor_email: string; subject: string; details: Record<string, unknown> }[]>(`SELECT actor_email, subject, details FROM admin_event WHERE action = $1 ORDER BY created_at`, [action]);
  const decode = (html: string) => html.replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');

  beforeAll(async () => {
    sink = await startSmtpSink();
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    worker = await startTestApp(workerApp, { database: identity.database, env: { OUTBOX_POLL_MS: '50', SMTP_URL: sink.url } });
    await seedClients(identity, { portal: 'http://127.0.0.1:9', backoffice: backoffice.url });
    seed = await seedEngine(db());
    const roles = backoffice.app.get(AgentRoleService);
    const people: [string, string, AgentRoleName][] = [
      [GIVORS_ADMIN, 'givors', 'administrator'],
      [BRON_ADMIN, 'bron', 'administrator'],
      [GIVORS_AGENT, 'givors', 'agent'],
      [PLATFORM, 'metropole-de-lyon', 'platform'],
    ];
    for (const [email, collectivity, role] of people) {
      await createVerifiedAccount(identity, email, STRONG_PASSWORD, { givenName: 'Personne', familyName: 'Test' });
      const { sub } = await backofficeSubjectForEmail(db(), backoffice.config, backoffice.clock, email);
      subs[email] = sub;
      await roles.grant({ accountSub: sub, accountEmail: email, collectivity, role });
      browsers[email] = new WebBrowser();
      await logIn(browsers[email], backoffice.url, email, { returnTo: '/tableau-de-bord' });
    }
    await createVerifiedAccount(identity, INVITEE, STRONG_PASSWORD, { givenName: 'Nouvel', familyName: 'Agent' });
  });
  afterAll(async () => {
    await worker?.close();
    await backoffice?.close();
    await identity?.close();
    await sink?.close();
  });

  describe('who may administer what (checked on every route)', () => {
    /** The main menu of a page: its links, the current one marked with a star. */
    const menuOf = (html: string) => {
      const nav = /<nav aria-label="Navigation principale">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '';
      return [...nav.matchAll(/<a href="([^"]+)"( aria-current="page")?>/g)].map((m) => `${m[1]}${m[2] ? '*' : ''}`);
    };

    it('leads each person from the dashboard to what their roles allow, and nowhere else', async () => {
      const main = (html: string) => /<main[\s\S]*<\/main>/.exec(html)![0];
      const links = async (who: string) => [...main((await pageOf(who, '/tableau-de-bord')).html).matchAll(/href="(\/(?:administration|teleservices|plateforme)[^"]*)"/g)].map((m) => m[1]);
      expect(await links(GIVORS_ADMIN)).toEqual(['/administration/givors/agents', '/administration/givors/identite', '/teleservices']);
      expect(await links(PLATFORM)).toEqual(['/plateforme']);
      expect(await links(GIVORS_AGENT)).toEqual([]);
    });

    it('shows on every page the menu the roles allow, the current section marked aria-current="page"', async () => {
      const demand = await withTenant(db(), platformScope('données de test'), (manager) =>
        new DemandRepository(manager).insertDemand({
          collectivityId: seed.givorsId,
          teleserviceId: seed.simple.id,
          versionId: seed.simpleV1.id,
          channel: 'web',
          accountSub: null,
          data: { nom: 'Menu', courriel: 'menu@example.org', motif: 'bruit' },
          status: 'received',
          submittedAt: new Date('2026-01-05T08:00:00Z'),
        }),
      );
      const adminMenu = (current: string) =>
        ['/tableau-de-bord', '/demandes', '/statistiques', '/teleservices', '/administration', '/preferences/notifications'].map((href) => (href === current ? `${href}*` : href));
      for (const [path, current] of [
        ['/demandes?vue=aucune', '/demandes'],
        [`/demandes/${demand.id}`, '/demandes'],
        ['/statistiques', '/statistiques'],
        ['/teleservices', '/teleservices'],
        ['/administration/givors/agents', '/administration'],
        ['/tableau-de-bord', '/tableau-de-bord'],
        ['/preferences/notifications', '/preferences/notifications'],
      ]) {
        const page = await pageOf(GIVORS_ADMIN, path);
        expect({ path, status: page.response.status, menu: menuOf(page.html) }).toEqual({ path, status: 200, menu: adminMenu(current) });
      }
      const agentMenu = ['/tableau-de-bord', '/demandes*', '/statistiques', '/preferences/notifications'];
      for (const path of ['/demandes?vue=aucune', `/demandes/${demand.id}`]) expect(menuOf((await pageOf(GIVORS_AGENT, path)).html)).toEqual(agentMenu);
      expect(menuOf((await pageOf(GIVORS_AGENT, '/statistiques')).html)).toEqual(['/tableau-de-bord', '/demandes', '/statistiques*', '/preferences/notifications']);
      // The platform team (no processing role): the administration, the platform and its queue dashboard.
      const platformMenu = (current: string) =>
        ['/tableau-de-bord', '/administration', '/plateforme', '/plateforme/files', '/preferences/notifications'].map((href) => (href === current ? `${href}*` : href));
      expect(menuOf((await pageOf(PLATFORM, '/tableau-de-bord')).html)).toEqual(platformMenu('/tableau-de-bord'));
      expect(menuOf((await pageOf(PLATFORM, '/plateforme')).html)).toEqual(platformMenu('/plateforme'));
      expect(menuOf((await pageOf(PLATFORM, '/plateforme/clients')).html)).toEqual(platformMenu('/plateforme'));
      expect(menuOf((await pageOf(PLATFORM, '/administration/bron/agents')).html)).toEqual(platformMenu('/administration'));
      // An administrator of Bron only sees Bron's demands: Givors' is 404.
      expect((await pageOf(BRON_ADMIN, `/demandes/${demand.id}`)).response.status).toBe(404);
      // Closed, so that it blocks no offer change below.
      await db().query(`UPDATE demand SET closed_at = now() WHERE id = $1`, [demand.id]);
    });

    it('refuses the administration and the platform pages to a plain agent (403)', async () => {
      for (const path of ['/administration', '/administration/givors/agents', '/administration/givors/identite', '/plateforme', '/plateforme/clients', '/plateforme/collectivites/givors']) {
        const page = await pageOf(GIVORS_AGENT, path);
        expect({ path, status: page.response.status }).toEqual({ path, status: 403 });
      }
      const invite = await post(GIVORS_AGENT, '/administration/givors/agents', { email: INVITEE, roles: 'agent' });
      expect(invite.status).toBe(403);
      expect(await activeRoles(INVITEE, 'givors')).toEqual([]);
    });

    it('refuses an administrator of Bron everything about Givors: agents, roles, revocation, branding (403, nothing written)', async () => {
      expect((await pageOf(BRON_ADMIN, '/administration/givors/agents')).response.status).toBe(403);
      expect((await pageOf(BRON_ADMIN, '/administration/givors/identite')).response.status).toBe(403);
      expect((await post(BRON_ADMIN, '/administration/givors/agents', { email: INVITEE, roles: 'administrator' })).status).toBe(403);
      expect((await post(BRON_ADMIN, `/administration/givors/agents/${subs[GIVORS_AGENT]}`, { roles: 'administrator' })).status).toBe(403);
      expect((await post(BRON_ADMIN, `/administration/givors/agents/${subs[GIVORS_AGENT]}/retirer`, {})).status).toBe(403);
      expect((await post(BRON_ADMIN, '/administration/givors/identite', { displayName: 'Piraté', accentColor: '#000000', contactEmail: '' })).status).toBe(403);
      expect((await pageOf(BRON_ADMIN, '/plateforme')).response.status).toBe(403);
      expect(await activeRoles(INVITEE, 'givors')).toEqual([]);
      expect(await activeRoles(GIVORS_AGENT, 'givors')).toEqual(['agent']);
      expect(await db().query(`SELECT 1 FROM collectivity_branding b JOIN collectivity c ON c.id = b.collectivity_id WHERE c.slug = 'givors'`)).toEqual([]);
      // Their own commune is theirs: the administration home leads straight to it.
      const own = await pageOf(BRON_ADMIN, '/administration');
      expect(own.url).toBe(`${backoffice.url}/administration/bron/agents`);
      expect(own.html).toContain('<h1>Agents et rôles — Bron</h1>');
    });

    it('refuses a POST without the CSRF token (403)', async () => {
      const response = await browsers[GIVORS_ADMIN].request(`${backoffice.url}/administration/givors/agents`, {
        method: 'POST',
        body: new URLSearchParams({ email: INVITEE, roles: 'agent' }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(response.status).toBe(403);
      expect(await activeRoles(INVITEE, 'givors')).toEqual([]);
    });
  });

  describe('agents and roles', () => {
    it('invites an agent by email: the role is given, the person gets a mail with the back office link, the journal says who', async () => {
      const response = await post(GIVORS_ADMIN, '/administration/givors/agents', { email: INVITEE.toUpperCase(), roles: 'agent', functions: 'receiver' });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/administration/givors/agents?fait=invite');
      expect(await activeRoles(INVITEE, 'givors')).toEqual(['agent']);
      const page = await pageOf(GIVORS_ADMIN, '/administration/givors/agents?fait=invite');
      expect(page.html).toContain('L’invitation a été envoyée et les rôles donnés.');
      expect(page.html).toMatch(new RegExp(`<th scope="row">${INVITEE.replace(/\./g, '\\.')}</th>\\s*<td>Agent</td>\\s*<td>receiver</td>`));
      const mail = await sink.waitFor((m) => m.to.includes(INVITEE));
      expect(mail.subject).toBe('Invitation à l’espace agents de Givors');
      expect(mail.text).toContain('Vous avez été invité(e) comme agent');
      expect(mail.text).toMatch(/Connectez-vous avec votre compte territorial \(nouvel\.agent@givors\.test\) : http:\/\/[^\s]+\//);
      expect(await journal('agent.invited')).toEqual([expect.objectContaining({ actor_email: GIVORS_ADMIN, subject: INVITEE, details: { roles: ['agent'], functions: ['receiver'] } })]);

      // The invited person logs in with their territorial account and is in.
      const invitee = new WebBrowser();
      const inside = await logIn(invitee, backoffice.url, INVITEE, { returnTo: '/tableau-de-bord' });
      expect(inside.response.status).toBe(200);
      expect(inside.html).toMatch(/<h3>Givors<\/h3>\s*<p>Rôle : Agent<\/p>/);
    });

    it('invites an address without an account: the mail asks to create one; the roles come at the first login with that address', async () => {
      const email = 'future.agente@givors.test';
      const response = await post(GIVORS_ADMIN, '/administration/givors/agents', { email, roles: ['agent', 'administrator'], functions: 'receiver' });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/administration/givors/agents?fait=attente');
      const page = await pageOf(GIVORS_ADMIN, '/administration/givors/agents?fait=attente');
      expect(page.html).toContain('cette adresse n’a pas encore de compte territorial. Les rôles seront donnés à sa première connexion.');
      expect(page.html).toMatch(new RegExp(`<th scope="row">${email.replace(/\./g, '\\.')}</th><td>Agent, Administrateur</td><td>receiver</td>`));
      expect(await activeRoles(email, 'givors')).toEqual([]);
      const mail = await sink.waitFor((m) => m.to.includes(email));
      expect(mail.text).toContain(`1. Créez votre compte territorial avec cette adresse (${email}) : ${identity.url}/inscription`);
      expect(mail.text).toContain('Vos rôles vous seront donnés à votre première connexion.');

      // Someone else logging in does not collect it; the person does, once their account exists.
      await createVerifiedAccount(identity, email, STRONG_PASSWORD, { givenName: 'Future', familyName: 'Agente' });
      const inside = await logIn(new WebBrowser(), backoffice.url, email, { returnTo: '/tableau-de-bord' });
      expect(inside.response.status).toBe(200);
      expect(inside.html).toMatch(/<h3>Givors<\/h3>\s*<p>Rôle : (Agent, Administrateur|Administrateur, Agent)<\/p>/);
      expect(await activeRoles(email, 'givors')).toEqual(['administrator', 'agent']);
      expect(await journal('agent.invitation_accepted')).toEqual([expect.objectContaining({ actor_email: email, subject: email })]);
      const after = await pageOf(GIVORS_ADMIN, '/administration/givors/agents');
      expect(after.html).not.toContain('Invitations en attente d’un compte');
      // Back to a single administrator for the last-administrator test below.
      const { sub } = await backofficeSubjectForEmail(db(), backoffice.config, backoffice.clock, email);
      expect((await post(GIVORS_ADMIN, `/administration/givors/agents/${sub}/retirer`, {})).status).toBe(303);
    });

    it('cancels a pending invitation after a confirmation page; an empty role choice is refused (422)', async () => {
      const email = 'jamais.venue@givors.test';
      expect((await post(GIVORS_ADMIN, '/administration/givors/agents', { email, roles: 'agent' })).status).toBe(303);
      const [{ id }] = await db().query<{ id: string }[]>(`SELECT id FROM agent_invitation WHERE email = $1 AND closed_at IS NULL`, [email]);
      expect((await pageOf(BRON_ADMIN, `/administration/givors/invitations/${id}/annuler`)).response.status).toBe(403);
      const confirm = await pageOf(GIVORS_ADMIN, `/administration/givors/invitations/${id}/annuler`);
      expect(confirm.html).toContain(`<h1>Annuler l’invitation de ${email} ?</h1>`);
      expect((await post(GIVORS_ADMIN, `/administration/givors/invitations/${id}/annuler`, {})).status).toBe(303);
      expect(await db().query(`SELECT outcome FROM agent_invitation WHERE id = $1`, [id])).toEqual([{ outcome: 'cancelled' }]);
      await createVerifiedAccount(identity, email, STRONG_PASSWORD);
      expect((await logIn(new WebBrowser(), backoffice.url, email, { returnTo: '/tableau-de-bord' })).response.status).toBe(403);

      const noRole = await post(GIVORS_ADMIN, '/administration/givors/agents', { email: INVITEE });
      expect(noRole.status).toBe(422);
      const html = await noRole.text();
      expect(html).toContain('<a href="#role-agent">Choisissez au moins un rôle.</a>');
      const badEmail = await post(GIVORS_ADMIN, '/administration/givors/agents', { email: 'pas une adresse', roles: 'agent' });
      expect(badEmail.status).toBe(422);
      expect(await badEmail.text()).toContain('<a href="#invite-email">Saisissez une adresse électronique, ex. prenom.nom@mairie.fr.</a>');
    });

    it('changes roles and functions (agent → administrator), recorded in the journal', async () => {
      const sub = subs[INVITEE] ?? (subs[INVITEE] = (await backofficeSubjectForEmail(db(), backoffice.config, backoffice.clock, INVITEE)).sub);
      const form = await pageOf(GIVORS_ADMIN, `/administration/givors/agents/${sub}`);
      expect(form.response.status).toBe(200);
      expect(form.html).toContain(`<h1>Rôles de ${INVITEE}</h1>`);
      const response = await post(GIVORS_ADMIN, `/administration/givors/agents/${sub}`, { roles: ['agent', 'administrator'], functions: 'receiver, manager' });
      expect(response.status).toBe(303);
      expect(await activeRoles(INVITEE, 'givors')).toEqual(['administrator', 'agent']);
      const functions = await db().query<{ functions: string[] }[]>(`SELECT functions FROM agent_role WHERE account_sub = $1 AND revoked_at IS NULL`, [sub]);
      expect(functions.map((f) => f.functions)).toEqual([['receiver', 'manager'], ['receiver', 'manager']]);
      expect(await journal('agent.roles_changed')).toContainEqual(expect.objectContaining({ actor_email: GIVORS_ADMIN, subject: INVITEE, details: { granted: ['administrator'], revoked: [], functions: ['receiver', 'manager'] } }));
      const invalid = await post(GIVORS_ADMIN, `/administration/givors/agents/${sub}`, { roles: 'agent', functions: 'Pas Valide' });
      expect(invalid.status).toBe(422);
      expect(await invalid.text()).toContain('Fonction invalide : Pas, Valide.');
      // Unchecking every role is a revocation: it asks for confirmation first, nothing changes yet.
      const none = await post(GIVORS_ADMIN, `/administration/givors/agents/${sub}`, { functions: '' });
      expect(none.status).toBe(303);
      expect(none.headers.get('location')).toBe(`/administration/givors/agents/${sub}/retirer`);
      expect(await activeRoles(INVITEE, 'givors')).toEqual(['administrator', 'agent']);
    });

    it('revokes with a confirmation page that works without JavaScript; the person is out at their next page', async () => {
      const sub = subs[INVITEE];
      const confirm = await pageOf(GIVORS_ADMIN, `/administration/givors/agents/${sub}/retirer`);
      expect(confirm.response.status).toBe(200);
      expect(confirm.html).toContain(`<h1>Retirer l’accès de ${INVITEE} à Givors ?</h1>`);
      expect(decode(confirm.html)).toContain(`<form method="post" action="/administration/givors/agents/${sub}/retirer">`);
      expect(confirm.html).toContain('<button class="button" type="submit">Retirer l’accès</button>');
      const response = await post(GIVORS_ADMIN, `/administration/givors/agents/${sub}/retirer`, {});
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/administration/givors/agents?fait=retire');
      expect(await activeRoles(INVITEE, 'givors')).toEqual([]);
      expect(await journal('agent.revoked')).toContainEqual(expect.objectContaining({ actor_email: GIVORS_ADMIN, subject: INVITEE, details: { granted: [], revoked: ['administrator', 'agent'], functions: [] } }));
      const revoked = await db().query<{ revoked_at: Date | null }[]>(`SELECT revoked_at FROM agent_role WHERE account_sub = $1`, [sub]);
      expect(revoked.every((r) => r.revoked_at instanceof Date)).toBe(true);
      const out = await logIn(new WebBrowser(), backoffice.url, INVITEE, { returnTo: '/tableau-de-bord' });
      expect(out.response.status).toBe(403);
    });

    it('refuses that the last administrator removes their own administrator role or revokes themselves (409, still administrator)', async () => {
      const own = subs[GIVORS_ADMIN];
      const demote = await post(GIVORS_ADMIN, `/administration/givors/agents/${own}`, { roles: 'agent', functions: '' });
      expect(demote.status).toBe(409);
      expect(await demote.text()).toContain('Impossible de retirer ce rôle d’administrateur : c’est le dernier de la collectivité. Nommez d’abord un autre administrateur.');
      const revoke = await post(GIVORS_ADMIN, `/administration/givors/agents/${own}/retirer`, {});
      expect(revoke.status).toBe(409);
      expect(await revoke.text()).toContain('c’est le dernier de la collectivité');
      expect(await activeRoles(GIVORS_ADMIN, 'givors')).toEqual(['administrator']);
      expect((await pageOf(GIVORS_ADMIN, '/administration/givors/agents')).response.status).toBe(200);
    });

    it('lets the platform team manage the agents of any commune (the metropolis manages Abonné communes’ access)', async () => {
      const page = await pageOf(PLATFORM, '/administration/bron/agents');
      expect(page.response.status).toBe(200);
      expect(page.html).toContain(BRON_ADMIN);
    });
  });

  describe('branding', () => {
    const multipart = async (who: string, fields: Record<string, string>, logo?: { bytes: Buffer; name: string; type: string }) => {
      const page = await pageOf(who, '/administration/givors/identite');
      const action = decode(/<form method="post" action="([^"]+)" enctype="multipart\/form-data"/.exec(page.html)![1]);
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.set(k, v);
      if (logo) form.set('logo', new Blob([new Uint8Array(logo.bytes)], { type: logo.type }), logo.name);
      return browsers[who].request(`${backoffice.url}${action}`, { method: 'POST', body: form });
    };

    it('refuses an accent colour that fails AA contrast against white, with a French message, nothing saved (422)', async () => {
      const response = await multipart(GIVORS_ADMIN, { displayName: 'Ville de Givors', accentColor: '#FFCC00', contactEmail: 'contact@givors.test' });
      expect(response.status).toBe(422);
      const html = await response.text();
      expect(html).toContain('<a href="#accentColor">Contraste insuffisant avec le blanc : 1,');
      expect(html).toContain('il faut au moins 4,5:1 (niveau AA). Choisissez une couleur plus foncée.');
      expect(html).toContain('value="#FFCC00"');
      expect(await db().query(`SELECT 1 FROM collectivity_branding b JOIN collectivity c ON c.id = b.collectivity_id WHERE c.slug = 'givors'`)).toEqual([]);
      expect((await db().query<{ contact_email: string | null }[]>(`SELECT contact_email FROM collectivity WHERE slug = 'givors'`))[0].contact_email).toBeNull();
    });

    it('refuses a logo that is not an image, whatever its name and declared type (422)', async () => {
      const response = await multipart(GIVORS_ADMIN, { displayName: '', accentColor: '', contactEmail: '' }, { bytes: Buffer.from('<svg onload="alert(1)"/>'), name: 'logo.png', type: 'image/png' });
      expect(response.status).toBe(422);
      expect(await response.text()).toContain('Le logo doit être une image PNG, JPEG, GIF ou WebP.');
    });

    it('saves name, colour, contact email (read by the email relay) and logo; the logo is served with its sniffed type', async () => {
      const response = await multipart(GIVORS_ADMIN, { displayName: 'Ville de Givors', accentColor: '#1F5FAD', contactEmail: 'Contact@Givors.test' }, { bytes: PNG_BYTES, name: 'logo.bin', type: 'application/octet-stream' });
      expect(response.status).toBe(303);
      const page = await pageOf(GIVORS_ADMIN, '/administration/givors/identite?fait=identite');
      expect(page.html).toContain('L’identité visuelle a été enregistrée.');
      expect(page.html).toContain('Couleur d’accent : #1f5fad (contraste avec le blanc : ');
      expect(page.html).toContain('alt="Logo de Givors"');
      const [row] = await db().query<{ display_name: string; accent_color: string; logo_media_type: string; contact_email: string }[]>(
        `SELECT b.display_name, b.accent_color, b.logo_media_type, c.contact_email FROM collectivity_branding b JOIN collectivity c ON c.id = b.collectivity_id WHERE c.slug = 'givors'`,
      );
      expect(row).toEqual({ display_name: 'Ville de Givors', accent_color: '#1f5fad', logo_media_type: 'image/png', contact_email: 'contact@givors.test' });
      const logo = await fetch(`${backoffice.url}/marque/givors/logo`);
      expect(logo.status).toBe(200);
      expect(logo.headers.get('content-type')).toBe('image/png');
      expect(logo.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await logo.arrayBuffer()).equals(PNG_BYTES)).toBe(true);
      expect((await fetch(`${backoffice.url}/marque/bron/logo`)).status).toBe(404);
      expect(await journal('branding.changed')).toEqual([expect.objectContaining({ actor_email: GIVORS_ADMIN })]);
    });
  });

  describe('platform operation: offers and instances', () => {
    let givorsTeleservice: { id: string; versionId: string };
    let openDemand: { id: string; trackingCode: string };
    let givorsInstanceId: string;

    beforeAll(async () => {
      await givenMembership(db(), '69091', 'partenaire', '2025-01-01');
      [{ id: givorsInstanceId }] = await db().query<{ id: string }[]>(`SELECT id FROM instance WHERE collectivity_id = $1 AND status = 'active'`, [seed.givorsId]);
      const teleservice = await new TeleserviceRepository(db().manager).create({
        instanceId: givorsInstanceId,
        collectivityId: seed.givorsId,
        slug: 'inscription-admin',
        kind: 'communal',
        title: 'Inscription (administration)',
        summary: 'Pour les tests d’administration',
        anonymousAllowed: true,
        now: new Date('2026-01-10T08:00:00Z'),
      });
      const version = await seed.publish(teleservice, TEST_FORM, TEST_WORKFLOW);
      givorsTeleservice = { id: teleservice.id, versionId: version.id };
      openDemand = await withTenant(db(), platformScope('données de test'), (manager) =>
        new DemandRepository(manager).insertDemand({
          collectivityId: seed.givorsId,
          teleserviceId: givorsTeleservice.id,
          versionId: givorsTeleservice.versionId,
          channel: 'web',
          accountSub: null,
          data: { nom: 'Camille Martin', courriel: 'camille@example.org', motif: 'bruit' },
          status: 'received',
          submittedAt: new Date('2026-01-20T08:00:00Z'),
        }),
      );
    });

    it('lists collectivities with their offer, and links the queue dashboard', async () => {
      const page = await pageOf(PLATFORM, '/plateforme');
      expect(page.response.status).toBe(200);
      expect(page.html).toMatch(/<a href="\/plateforme\/collectivites\/givors">Givors<\/a><\/th><td>Partenaire<\/td><td>01\/01\/2025<\/td>/);
      expect(page.html).toContain('<a href="/plateforme/files">Tableau de bord des files</a>');
    });

    it('serves the queue dashboard to the platform team only, and lets it make no change but retries, from this origin', async () => {
      const dashboard = await browsers[PLATFORM].request(`${backoffice.url}/plateforme/files`);
      expect(dashboard.status).toBe(200);
      expect(dashboard.headers.get('content-type')).toMatch(/^text\/html/);
      expect(dashboard.headers.get('cache-control')).toBe('no-store');
      const api = await browsers[PLATFORM].request(`${backoffice.url}/plateforme/files/api/queues`, { headers: { accept: 'application/json' } });
      expect(api.status).toBe(200);
      expect(((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort()).toEqual(['demands', 'notifications', 'scheduled']);

      // Administrators and agents: 403; nobody logged in: sent to the login (a page) or 401 (the API).
      for (const who of [GIVORS_ADMIN, GIVORS_AGENT]) {
        expect((await browsers[who].request(`${backoffice.url}/plateforme/files/api/queues`, { headers: { accept: 'application/json' } })).status).toBe(403);
      }
      const anonymous = new WebBrowser();
      const login = await anonymous.request(`${backoffice.url}/plateforme/files`);
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toBe('/auth/login?returnTo=%2Fplateforme%2Ffiles');
      expect((await anonymous.request(`${backoffice.url}/plateforme/files/api/queues`, { headers: { accept: 'application/json' } })).status).toBe(401);

      // Changes: from another origin or without one, refused (bull-board sends no CSRF token); cleaning a queue, refused.
      const retry = `${backoffice.url}/plateforme/files/api/queues/notifications/retry/failed`;
      expect((await browsers[PLATFORM].request(retry, { method: 'PUT', headers: { origin: 'https://ailleurs.example' } })).status).toBe(403);
      expect((await browsers[PLATFORM].request(retry, { method: 'PUT' })).status).toBe(403);
      const clean = await browsers[PLATFORM].request(`${backoffice.url}/plateforme/files/api/queues/notifications/clean/failed`, { method: 'PUT', headers: { origin: backoffice.url } });
      expect(clean.status).toBe(403);
      expect(((await clean.json()) as { code: string }).code).toBe('DASHBOARD_FORBIDDEN_CHANGE');
      expect((await browsers[PLATFORM].request(retry, { method: 'PUT', headers: { origin: backoffice.url } })).status).toBe(200);
      expect((await browsers[GIVORS_ADMIN].request(retry, { method: 'PUT', headers: { origin: backoffice.url } })).status).toBe(403);
    });

    it('refuses to change Givors’ offer while its instance is active and a demand is open, listing what blocks (409, nothing written)', async () => {
      const response = await post(PLATFORM, '/plateforme/collectivites/givors/offre', { offer: 'abonne', startsOn: '2026-07-01', signedOn: '', contactEmail: '' });
      expect(response.status).toBe(409);
      const html = await response.text();
      expect(html).toContain('L’offre de Givors ne peut pas encore changer :');
      expect(html).toContain('est encore active : exportez ses données puis décommissionnez-la.');
      expect(html).toContain(`1 demande ouverte à terminer d’abord (${openDemand.trackingCode}).`);
      const memberships = await db().query(`SELECT offer FROM membership WHERE collectivity_id = $1 AND service = 'counter'`, [seed.givorsId]);
      expect(memberships).toEqual([{ offer: 'partenaire' }]);
    });

    it('refuses to decommission the instance while a demand is open, then decommissions it (confirmation page) once finished; its data stays exportable', async () => {
      const confirm = await pageOf(PLATFORM, `/plateforme/instances/${givorsInstanceId}/decommissionner`);
      expect(confirm.response.status).toBe(200);
      expect(confirm.html).toContain('Décommissionnement impossible pour l’instant :');
      expect(confirm.html).not.toContain('>Décommissionner</button>');
      const refused = await post(PLATFORM, `/plateforme/instances/${givorsInstanceId}/decommissionner`, {});
      expect(refused.status).toBe(409);
      expect(await refused.text()).toContain(`1 demande ouverte à terminer d’abord (${openDemand.trackingCode}).`);

      await db().query(`UPDATE demand SET closed_at = now() WHERE id = $1`, [openDemand.id]);
      const ready = await pageOf(PLATFORM, `/plateforme/instances/${givorsInstanceId}/decommissionner`);
      expect(ready.html).toContain('<button class="button" type="submit">Décommissionner</button>');
      const done = await post(PLATFORM, `/plateforme/instances/${givorsInstanceId}/decommissionner`, {});
      expect(done.status).toBe(303);
      const [instance] = await db().query<{ status: string }[]>(`SELECT status FROM instance WHERE id = $1`, [givorsInstanceId]);
      expect(instance.status).toBe('decommissioned');
      const [ts] = await db().query<{ archived_at: Date | null }[]>(`SELECT archived_at FROM teleservice WHERE id = $1`, [givorsTeleservice.id]);
      expect(ts.archived_at).toBeInstanceOf(Date);

      // A line of history, so that the export carries one.
      await withTenant(db(), platformScope('données de test'), async (manager) => {
        const repository = new DemandRepository(manager);
        const demand = (await repository.findForPlatform(openDemand.id))!;
        await repository.appendEvent(demand, { at: new Date('2026-01-21T08:00:00Z'), kind: 'comment', actor: { type: 'system', name: 'test' }, visibility: 'internal', payload: { text: 'Vu' } });
      });
      // Files of the demand: a field's file, two files of the same name, a larger one, and one the storage lost.
      const storage = backoffice.app.get<symbol, AttachmentStorage>(ATTACHMENT_STORAGE);
      const large = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < large.length; i++) large[i] = (i * 7919 + (i >> 11)) & 0xff;
      const files = [
        { fieldId: 'justificatif', name: 'plan.png', content: PNG_BYTES },
        { fieldId: 'justificatif', name: 'scan.pdf', content: Buffer.from('%PDF-1.4\npremier\n%%EOF\n') },
        { fieldId: 'justificatif', name: 'Scan.pdf', content: Buffer.from('%PDF-1.4\nsecond\n%%EOF\n') },
        { fieldId: null, name: '../../etc/gros fichier.bin', content: large },
        { fieldId: null, name: 'perdu.txt', content: Buffer.from('perdu') },
      ];
      const stored: { id: string; name: string; content: Buffer }[] = [];
      for (const [i, file] of files.entries()) {
        const put = await storage.put(file.content, { maxBytes: 10 * 1024 * 1024 });
        const [{ id }] = await withTenant(db(), platformScope('données de test'), (manager) =>
          manager.query<{ id: string }[]>(
            `INSERT INTO attachment (demand_id, collectivity_id, field_id, storage_key, file_name, mime_type, size_bytes, sha256, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
            [openDemand.id, seed.givorsId, file.fieldId, put.key, file.name, put.mimeType, put.sizeBytes, put.sha256, new Date(Date.UTC(2026, 0, 21, 9, i))],
          ),
        );
        if (file.name === 'perdu.txt') await storage.delete(put.key);
        stored.push({ id, name: file.name, content: file.content });
      }
      const folder = `pieces-jointes/${openDemand.trackingCode}`;
      const expectedPaths = [`${folder}/plan.png`, `${folder}/scan.pdf`, `${folder}/Scan (2).pdf`, `${folder}/_.._etc_gros fichier.bin`];

      const exported = await browsers[PLATFORM].request(`${backoffice.url}/plateforme/instances/${givorsInstanceId}/export`);
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-type')).toBe('application/zip');
      const disposition = /^attachment; filename="(parvis-givors-test-engine-\d{4}-\d{2}-\d{2})\.zip"$/.exec(exported.headers.get('content-disposition') ?? '');
      expect(disposition).not.toBeNull();
      const dir = await mkdtemp(join(tmpdir(), 'parvis-instance-export-'));
      try {
        const file = join(dir, 'export.zip');
        await writeFile(file, Buffer.from(await exported.arrayBuffer()));
        expect((await run('unzip', ['-t', file])).stdout).toContain('No errors detected');
        // The files first (streamed from the storage one by one), then the document.
        expect((await run('unzip', ['-Z1', file])).stdout.trim().split('\n')).toEqual([...expectedPaths, `${disposition![1]}.json`]);
        for (const [i, path] of expectedPaths.entries()) {
          const bytes = (await run('unzip', ['-p', file, path], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 })).stdout;
          expect({ path, equal: Buffer.compare(bytes, stored[i].content) === 0, size: bytes.length }).toEqual({ path, equal: true, size: stored[i].content.length });
        }
        const text = (await run('unzip', ['-p', file, `${disposition![1]}.json`], { maxBuffer: 64 * 1024 * 1024 })).stdout;
        type Exported = {
          format: string;
          version: number;
          collectivity: { slug: string };
          instance: { status: string };
          teleservices: { slug: string; versions: unknown[] }[];
          demands: ({ attachments: { id: string; file_name: string; size_bytes: number; sha256: string; path: string | null; missing?: boolean }[] } & Record<string, unknown>)[];
        };
        const data = JSON.parse(text) as Exported;
        // The same document as the former in-memory export: JSON.stringify(…, null, 2) of the same members.
        expect(text).toBe(JSON.stringify(data, null, 2));
        expect(Object.keys(data)).toEqual(['format', 'version', 'exportedAt', 'collectivity', 'instance', 'teleservices', 'demands']);
        expect({ format: data.format, version: data.version, collectivity: data.collectivity.slug }).toEqual({ format: 'parvis-instance-export', version: 1, collectivity: 'givors' });
        expect(data.instance.status).toBe('decommissioned');
        expect(data.teleservices.map((t) => t.slug)).toEqual(['inscription-admin']);
        expect(data.teleservices[0].versions).toHaveLength(1);
        expect(data.demands.map((d) => d.tracking_code)).toEqual([openDemand.trackingCode]);
        // Each demand exactly as the database holds it (the former export's query, read in one piece here).
        const [expected] = await withTenant(db(), platformScope('test'), (manager) =>
          manager.query<Record<string, unknown>[]>(
            `SELECT d.id, d.teleservice_id, d.version_id, d.tracking_code, d.channel, d.status, d.data, d.backoffice_data, d.submitted_at, d.closed_at,
                    coalesce((SELECT jsonb_agg(jsonb_build_object('kind', e.kind, 'visibility', e.visibility, 'at', e.at, 'payload', e.payload) ORDER BY e.id) FROM demand_event e WHERE e.demand_id = d.id), '[]'::jsonb) AS history,
                    coalesce((SELECT jsonb_agg(to_jsonb(m) - 'collectivity_id' ORDER BY m.created_at) FROM demand_message m WHERE m.demand_id = d.id), '[]'::jsonb) AS messages
               FROM demand d WHERE d.id = $1`,
            [openDemand.id],
          ),
        );
        const { attachments, ...demand } = data.demands[0];
        expect(demand).toEqual(JSON.parse(JSON.stringify(expected)));
        // The document names each file's path in the zip; the lost one is marked missing, without a path.
        expect(attachments.map((a) => [a.id, a.file_name, a.path, a.missing ?? false])).toEqual([
          ...expectedPaths.map((path, i) => [stored[i].id, stored[i].name, path, false]),
          [stored[4].id, 'perdu.txt', null, true],
        ]);
        expect(attachments[3]).toMatchObject({ size_bytes: large.length, field_id: null, message_id: null, mime_type: expect.any(String), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
        expect(JSON.stringify(attachments)).not.toContain('storage_key');
        expect(data.demands[0].history).toEqual([expect.objectContaining({ kind: 'comment', payload: { text: 'Vu' } })]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      expect((await journal('instance.exported')).map((e) => e.actor_email)).toEqual([PLATFORM]);
      // A Givors administrator cannot export or decommission anything: platform only.
      expect((await browsers[GIVORS_ADMIN].request(`${backoffice.url}/plateforme/instances/${givorsInstanceId}/export`)).status).toBe(403);
    });

    it('changes the offer once nothing blocks it, keeping the history (old membership ended, new one current)', async () => {
      const response = await post(PLATFORM, '/plateforme/collectivites/givors/offre', { offer: 'abonne', startsOn: '2026-07-01', signedOn: '2026-06-15', contactEmail: 'convention@givors.test' });
      expect(response.status).toBe(303);
      const memberships = await db().query(`SELECT offer, to_char(starts_on, 'YYYY-MM-DD') AS starts, to_char(ends_on, 'YYYY-MM-DD') AS ends FROM membership WHERE collectivity_id = $1 AND service = 'counter' ORDER BY starts_on`, [seed.givorsId]);
      expect(memberships).toEqual([
        { offer: 'partenaire', starts: '2025-01-01', ends: '2026-07-01' },
        { offer: 'abonne', starts: '2026-07-01', ends: null },
      ]);
      const page = await pageOf(PLATFORM, '/plateforme/collectivites/givors?fait=offre');
      expect(page.html).toContain('Offre en cours : <strong>Abonné</strong>');
      expect(page.html).toMatch(/<th scope="row">Partenaire<\/th><td>01\/01\/2025<\/td><td>01\/07\/2026<\/td>/);
      expect(await journal('offer.changed')).toEqual([expect.objectContaining({ actor_email: PLATFORM, subject: 'abonne', details: expect.objectContaining({ from: 'partenaire', to: 'abonne' }) })]);
    });

    it('makes a non-adhering commune Partenaire: its production and test instances are created; a second test instance is refused', async () => {
      const response = await post(PLATFORM, '/plateforme/collectivites/bron/offre', { offer: 'partenaire', startsOn: '2026-03-01', signedOn: '', contactEmail: '' });
      expect(response.status).toBe(303);
      const instances = await db().query(`SELECT i.slug, i.environment, i.status FROM instance i JOIN collectivity c ON c.id = i.collectivity_id WHERE c.slug = 'bron' ORDER BY environment`);
      expect(instances).toEqual([
        { slug: 'bron', environment: 'production', status: 'active' },
        { slug: 'bron-test', environment: 'test', status: 'active' },
      ]);
      const again = await post(PLATFORM, '/plateforme/collectivites/bron/instances', { environment: 'test' });
      expect(again.status).toBe(409);
      expect(await again.text()).toContain('Bron a déjà une instance test active.');
      const badDate = await post(PLATFORM, '/plateforme/collectivites/bron/offre', { offer: 'connecte', startsOn: '01/04/2026', signedOn: '', contactEmail: '' });
      expect(badDate.status).toBe(422);
      expect(await badDate.text()).toContain('<a href="#startsOn">Date de début attendue au format AAAA-MM-JJ.</a>');
    });

    it('refuses leaving Abonné while a demand is open, then lets the commune leave (téléservices offline)', async () => {
      const { collectivityId } = await givenMembership(db(), '69244', 'abonne', '2025-06-01'); // Tassin-la-Demi-Lune
      const { instanceId: tassinInstance } = await givenInstance(db(), '69244', 'production');
      const pack = await new TeleserviceRepository(db().manager).create({
        instanceId: tassinInstance,
        collectivityId,
        slug: 'pack-tassin',
        kind: 'communal',
        title: 'Pack déployé',
        summary: 'Abonné',
        anonymousAllowed: true,
        now: new Date('2026-01-10T08:00:00Z'),
      });
      const version = await seed.publish(pack, TEST_FORM, TEST_WORKFLOW);
      const demand = await withTenant(db(), platformScope('données de test'), (manager) =>
        new DemandRepository(manager).insertDemand({ collectivityId, teleserviceId: pack.id, versionId: version.id, channel: 'web', accountSub: null, data: { nom: 'A', courriel: 'a@example.org', motif: 'bruit' }, status: 'received', submittedAt: new Date('2026-02-01T08:00:00Z') }),
      );
      const [{ slug }] = await db().query<{ slug: string }[]>(`SELECT slug FROM collectivity WHERE id = $1`, [collectivityId]);
      const refused = await post(PLATFORM, `/plateforme/collectivites/${slug}/offre`, { offer: 'none', startsOn: '2026-09-01', signedOn: '', contactEmail: '' });
      expect(refused.status).toBe(409);
      expect(await refused.text()).toContain(`1 demande ouverte à terminer d’abord (${demand.trackingCode}).`);
      await db().query(`UPDATE demand SET closed_at = now() WHERE id = $1`, [demand.id]);
      const left = await post(PLATFORM, `/plateforme/collectivites/${slug}/offre`, { offer: 'none', startsOn: '2026-09-01', signedOn: '', contactEmail: '' });
      expect(left.status).toBe(303);
      expect(await db().query(`SELECT offer FROM membership WHERE collectivity_id = $1 AND ends_on IS NULL`, [collectivityId])).toEqual([]);
      const [ts] = await db().query<{ archived_at: Date | null }[]>(`SELECT archived_at FROM teleservice WHERE id = $1`, [pack.id]);
      expect(ts.archived_at).toBeInstanceOf(Date);
    });
  });

  describe('workflow functions per téléservice (after Bron became Partenaire above)', () => {
    let teleserviceId: string;
    beforeAll(async () => {
      const [bron] = await db().query<{ id: string; instance: string }[]>(
        `SELECT c.id, i.id AS instance FROM collectivity c JOIN instance i ON i.collectivity_id = c.id AND i.environment = 'production' AND i.status = 'active' WHERE c.slug = 'bron'`,
      );
      const teleservice = await new TeleserviceRepository(db().manager).create({
        instanceId: bron.instance,
        collectivityId: bron.id,
        slug: 'demande-bron',
        kind: 'communal',
        title: 'Demande à Bron',
        summary: 'Fonctions',
        anonymousAllowed: true,
        now: new Date('2026-01-10T08:00:00Z'),
      });
      await seed.publish(teleservice, TEST_FORM, TEST_WORKFLOW);
      teleserviceId = teleservice.id;
    });

    it('grants a function of the published workflow to one agent, then removes it after a confirmation page; recorded', async () => {
      const list = await pageOf(BRON_ADMIN, '/administration/bron/fonctions');
      expect(list.html).toContain(`<a href="/administration/bron/fonctions/${teleserviceId}">Demande à Bron</a></th><td>Toutes les fonctions à chaque agent</td>`);
      const page = await pageOf(BRON_ADMIN, `/administration/bron/fonctions/${teleserviceId}`);
      expect(page.html).toContain('<option value="receiver">Agent instructeur (receiver)</option>');
      const granted = await post(BRON_ADMIN, `/administration/bron/fonctions/${teleserviceId}`, { functionId: 'receiver', grantee: `compte:${subs[BRON_ADMIN]}` });
      expect(granted.status).toBe(303);
      const after = await pageOf(BRON_ADMIN, `/administration/bron/fonctions/${teleserviceId}?fait=attribuee`);
      expect(after.html).toMatch(new RegExp(`<th scope="row">Agent instructeur \\(receiver\\)</th><td>${BRON_ADMIN.replace(/\./g, '\\.')}</td>`));
      const unknown = await post(BRON_ADMIN, `/administration/bron/fonctions/${teleserviceId}`, { functionId: 'chef', grantee: 'role:agent' });
      expect(unknown.status).toBe(422);
      expect(await unknown.text()).toContain('Le workflow de ce téléservice n’a pas de fonction « chef ».');

      // Givors' administrator: neither through Bron's pages nor through their own with Bron's téléservice.
      expect((await pageOf(GIVORS_ADMIN, `/administration/bron/fonctions/${teleserviceId}`)).response.status).toBe(403);
      expect((await pageOf(GIVORS_ADMIN, `/administration/givors/fonctions/${teleserviceId}`)).response.status).toBe(404);
      expect((await post(GIVORS_ADMIN, `/administration/givors/fonctions/${teleserviceId}`, { functionId: 'receiver', grantee: 'role:agent' })).status).toBe(404);

      const [{ id }] = await withTenant(db(), platformScope('test'), (m) => m.query<{ id: string }[]>(`SELECT id FROM workflow_function_grant WHERE teleservice_id = $1`, [teleserviceId]));
      const confirm = await pageOf(BRON_ADMIN, `/administration/bron/fonctions/${teleserviceId}/${id}/retirer`);
      expect(confirm.html).toContain(`<h1>Retirer la fonction « Agent instructeur » à ${BRON_ADMIN} ?</h1>`);
      expect((await post(BRON_ADMIN, `/administration/bron/fonctions/${teleserviceId}/${id}/retirer`, {})).status).toBe(303);
      expect(await withTenant(db(), platformScope('test'), (m) => m.query(`SELECT id FROM workflow_function_grant WHERE teleservice_id = $1`, [teleserviceId]))).toEqual([]);
      expect((await journal('function.granted')).map((e) => e.actor_email)).toEqual([BRON_ADMIN]);
      expect((await journal('function.revoked')).map((e) => e.actor_email)).toEqual([BRON_ADMIN]);
    });
  });

  describe('platform operation: identity clients of partner portals', () => {
    let firstSecret = '';
    const authenticate = async (clientId: string, secret: string) => {
      const metadata = (await (await fetch(`${identity.url}/oidc/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
      const response = await fetch(metadata.token_endpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'code-inconnu', redirect_uri: 'https://portail.givors.test/retour' }),
      });
      return ((await response.json()) as { error: string }).error;
    };
    const secretOf = (html: string) => /<input id="client-secret" type="text" readonly value="([^"]+)"/.exec(html)?.[1];

    it('creates a client: the secret is shown once, then never again; the token endpoint accepts it', async () => {
      const response = await post(PLATFORM, '/plateforme/clients/nouveau', {
        clientId: 'portail-givors',
        name: 'Portail de Givors',
        redirectUris: 'https://portail.givors.test/retour',
        postLogoutRedirectUris: 'https://portail.givors.test/',
        scopes: ['profile', 'email'],
        consentRequired: 'on',
        purpose: 'Démarches de la mairie',
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const html = await response.text();
      expect(html).toContain('Copiez ce secret maintenant : il ne sera plus jamais affiché.');
      const secret = secretOf(html)!;
      expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      firstSecret = secret;
      const page = await pageOf(PLATFORM, '/plateforme/clients/portail-givors');
      expect(page.html).not.toContain(secret);
      expect(page.html).toContain('https://portail.givors.test/retour');
      // Authenticated (the code is unknown) vs. not authenticated.
      expect(await authenticate('portail-givors', secret)).toBe('invalid_grant');
      expect(await authenticate('portail-givors', 'pas-le-bon-secret')).toBe('invalid_client');
    });

    it('edits redirect URIs, scopes and consent; refuses an http address with a French message (422)', async () => {
      const bad = await post(PLATFORM, '/plateforme/clients/portail-givors', { name: 'Portail de Givors', redirectUris: 'ftp://portail.givors.test/retour', postLogoutRedirectUris: '', scopes: 'profile' });
      expect(bad.status).toBe(422);
      expect(await bad.text()).toContain('href="#redirectUris"');
      const ok = await post(PLATFORM, '/plateforme/clients/portail-givors', { name: 'Portail de Givors', redirectUris: 'https://portail.givors.test/retour\nhttps://portail.givors.test/retour2', postLogoutRedirectUris: '', scopes: ['profile', 'address'] });
      expect(ok.status).toBe(303);
      const [client] = await db().query<{ redirect_uris: string[]; allowed_scopes: string[]; consent_required: boolean }[]>(`SELECT redirect_uris, allowed_scopes, consent_required FROM identity.oidc_client WHERE client_id = 'portail-givors'`);
      expect(client).toEqual({ redirect_uris: ['https://portail.givors.test/retour', 'https://portail.givors.test/retour2'], allowed_scopes: ['openid', 'profile', 'address'], consent_required: false });
    });

    it('rotates the secret after a confirmation page: the new one is shown once, the old one stops working at the token endpoint', async () => {
      const created = (await journal('client.created'))[0];
      expect(created.subject).toBe('portail-givors');
      const confirm = await pageOf(PLATFORM, '/plateforme/clients/portail-givors/secret');
      expect(confirm.html).toContain('Le secret actuel cessera de fonctionner immédiatement');
      const before = await db().query<{ secret_encrypted: string }[]>(`SELECT secret_encrypted FROM identity.oidc_client WHERE client_id = 'portail-givors'`);
      const response = await post(PLATFORM, '/plateforme/clients/portail-givors/secret', {});
      expect(response.status).toBe(200);
      const secret = secretOf(await response.text())!;
      expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      const after = await db().query<{ secret_encrypted: string }[]>(`SELECT secret_encrypted FROM identity.oidc_client WHERE client_id = 'portail-givors'`);
      expect(after[0].secret_encrypted).not.toBe(before[0].secret_encrypted);
      expect(secret).not.toBe(firstSecret);
      expect(await authenticate('portail-givors', secret)).toBe('invalid_grant');
      expect(await authenticate('portail-givors', firstSecret)).toBe('invalid_client');
      expect((await journal('client.secret_rotated')).map((e) => e.actor_email)).toEqual([PLATFORM]);
      expect((await post(GIVORS_ADMIN, '/plateforme/clients/portail-givors/secret', {})).status).toBe(403);
    });

    it('deletes a client once its identifier is typed again: its tokens are revoked, it can no longer start an authorization (invalid_client), it leaves the list', async () => {
      const created = await post(PLATFORM, '/plateforme/clients/nouveau', { clientId: 'portail-a-supprimer', name: 'Portail à supprimer', redirectUris: RP_CALLBACK, postLogoutRedirectUris: '', scopes: ['profile', 'email'] });
      expect(created.status).toBe(200);
      const secret = secretOf(await created.text())!;
      // A person connects through it: a grant, an access token and a code exist at the provider.
      const rp = await relyingParty(identity, 'portail-a-supprimer', secret);
      const start = await startAuthorization(rp);
      const { callback } = await logInAndConsent(new Browser(identity.url), start.url, { email: GIVORS_AGENT, password: STRONG_PASSWORD });
      const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      const sub = tokens.claims()!.sub;
      expect(await oidc.fetchUserInfo(rp, tokens.access_token, sub)).toMatchObject({ sub });
      const artefacts = () => db().query<{ model: string }[]>(`SELECT model FROM identity.oidc_artifact WHERE payload->>'clientId' = 'portail-a-supprimer' ORDER BY model`);
      expect((await artefacts()).map((a) => a.model)).toEqual(expect.arrayContaining(['AccessToken', 'Grant']));

      // Not the platform team: 403; a wrong identifier typed: 422, the field says why, nothing deleted.
      expect((await pageOf(GIVORS_ADMIN, '/plateforme/clients/portail-a-supprimer/supprimer')).response.status).toBe(403);
      expect((await post(GIVORS_ADMIN, '/plateforme/clients/portail-a-supprimer/supprimer', { confirmation: 'portail-a-supprimer' })).status).toBe(403);
      const confirm = await pageOf(PLATFORM, '/plateforme/clients/portail-a-supprimer/supprimer');
      expect(confirm.html).toContain('<h1>Supprimer le client « Portail à supprimer » (portail-a-supprimer) ?</h1>');
      expect(confirm.html).toContain('<label for="confirmation">Pour confirmer, saisissez l’identifiant du client : portail-a-supprimer</label>');
      const wrong = await post(PLATFORM, '/plateforme/clients/portail-a-supprimer/supprimer', { confirmation: 'portail' });
      expect(wrong.status).toBe(422);
      const wrongHtml = await wrong.text();
      expect(wrongHtml).toContain('<a href="#confirmation">Saisissez exactement l’identifiant du client (portail-a-supprimer) pour confirmer la suppression.</a>');
      expect(wrongHtml).toContain('aria-invalid="true"');
      expect(await db().query(`SELECT 1 FROM identity.oidc_client WHERE client_id = 'portail-a-supprimer'`)).toHaveLength(1);

      const deleted = await post(PLATFORM, '/plateforme/clients/portail-a-supprimer/supprimer', { confirmation: ' portail-a-supprimer ' });
      expect(deleted.status).toBe(303);
      expect(deleted.headers.get('location')).toBe('/plateforme/clients?fait=client-supprime');
      const list = await pageOf(PLATFORM, '/plateforme/clients?fait=client-supprime');
      expect(list.html).toContain('Le client a été supprimé');
      expect(list.html).not.toContain('href="/plateforme/clients/portail-a-supprimer"');
      expect(list.html).toContain('portail-givors');
      expect(await db().query(`SELECT 1 FROM identity.oidc_client WHERE client_id = 'portail-a-supprimer'`)).toEqual([]);
      expect(await artefacts()).toEqual([]);
      // What it obtained is worthless, and it cannot start again.
      await expect(oidc.fetchUserInfo(rp, tokens.access_token, sub)).rejects.toThrow();
      expect(await authenticate('portail-a-supprimer', secret)).toBe('invalid_client');
      const again = await fetch(start.url, { redirect: 'manual' });
      expect(again.status).toBe(400);
      expect(await again.text()).toContain('<code>invalid_client</code>');
      expect((await pageOf(PLATFORM, '/plateforme/clients/portail-a-supprimer')).response.status).toBe(404);
      expect(await journal('client.deleted')).toEqual([expect.objectContaining({ actor_email: PLATFORM, subject: 'portail-a-supprimer', details: expect.objectContaining({ name: 'Portail à supprimer' }) })]);
    });

    it('deletes a client from the command line (tools/identity-client.ts delete <id> --yes), revoking its tokens the same way', async () => {
      const created = await post(PLATFORM, '/plateforme/clients/nouveau', { clientId: 'portail-cli', name: 'Portail supprimé en ligne de commande', redirectUris: RP_CALLBACK, postLogoutRedirectUris: '', scopes: ['profile', 'email'] });
      expect(created.status).toBe(200);
      const secret = secretOf(await created.text())!;
      const rp = await relyingParty(identity, 'portail-cli', secret);
      const start = await startAuthorization(rp);
      const { callback } = await logInAndConsent(new Browser(identity.url), start.url, { email: GIVORS_AGENT, password: STRONG_PASSWORD });
      const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
      const sub = tokens.claims()!.sub;
      expect(await oidc.fetchUserInfo(rp, tokens.access_token, sub)).toMatchObject({ sub });
      const artefacts = () => db().query<{ model: string }[]>(`SELECT model FROM identity.oidc_artifact WHERE payload->>'clientId' = 'portail-cli'`);
      expect((await artefacts()).length).toBeGreaterThan(0);
      const cli = (args: string[]) => runScript('tools/identity-client.js', { env: { ...process.env, DATABASE_URL: backoffice.database.url, NODE_ENV: 'test' }, args });

      // Without --yes, or without an identifier: nothing is touched (exit 64).
      const unconfirmed = await cli(['delete', 'portail-cli']);
      expect({ code: unconfirmed.code, stdout: unconfirmed.stdout }).toEqual({ code: 64, stdout: '' });
      expect(unconfirmed.stderr).toContain('Relancez avec --yes pour confirmer.');
      expect((await cli(['delete', '--yes'])).code).toBe(64);
      expect((await cli(['delete', 'portail-cli', 'portail-givors', '--yes'])).code).toBe(64);
      expect(await db().query(`SELECT 1 FROM identity.oidc_client WHERE client_id = 'portail-cli'`)).toHaveLength(1);
      expect(await oidc.fetchUserInfo(rp, tokens.access_token, sub)).toMatchObject({ sub });

      const deleted = await cli(['delete', 'portail-cli', '--yes']);
      expect({ code: deleted.code, stderr: deleted.stderr }).toEqual({ code: 0, stderr: '' });
      expect(deleted.stdout).toMatch(/^Client « portail-cli » supprimé ; [1-9]\d* autorisation\(s\), code\(s\) et jeton\(s\) révoqué\(s\)\.$/m);
      expect(await db().query(`SELECT 1 FROM identity.oidc_client WHERE client_id = 'portail-cli'`)).toEqual([]);
      expect(await artefacts()).toEqual([]);
      await expect(oidc.fetchUserInfo(rp, tokens.access_token, sub)).rejects.toThrow();
      expect(await authenticate('portail-cli', secret)).toBe('invalid_client');
      expect((await cli(['list'])).stdout).not.toContain('portail-cli');
      expect((await journal('client.deleted')).find((e) => e.subject === 'portail-cli')).toMatchObject({
        actor_email: null,
        details: expect.objectContaining({ name: 'Portail supprimé en ligne de commande', via: 'identity-client' }),
      });

      // An unknown client: a French message, exit 1.
      const unknown = await cli(['delete', 'portail-cli', '--yes']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('Le client « portail-cli » n\'existe pas.');
    }, 120_000); // six Node processes started one after the other: slow on a loaded 2-core machine
  });

  describe('catalogue packs deployed by an Abonné commune (Givors became Abonné above; Tassin left the guichet)', () => {
    let portal: TestApp;
    let packId: string;
    let otherPackId: string;
    const CONTACT = { 'contact-name': 'Service propreté de Givors', 'contact-email': 'proprete@givors.test', 'contact-phone': '04 72 49 18 18', 'contact-address': 'Place Camille Vallin, 69700 Givors', 'contact-hours': 'Du lundi au vendredi, 8 h 30 – 12 h' };
    const deployments = (collectivityId: string) =>
      db().query<{ id: string; slug: string; kind: string; instance: string; settings: { contact?: Record<string, string> } }[]>(
        `SELECT t.id, t.slug, t.kind, i.slug AS instance, t.settings FROM teleservice t JOIN instance i ON i.id = t.instance_id WHERE t.collectivity_id = $1 AND t.pack_source_id = $2`,
        [collectivityId, packId],
      );

    beforeAll(async () => {
      portal = await startTestApp(portalApp, { database: identity.database });
      const [{ id: metropolisInstance }] = await db().query<{ id: string }[]>(`SELECT instance_id AS id FROM teleservice WHERE id = $1`, [seed.simple.id]);
      const pack = await new TeleserviceRepository(db().manager).create({
        instanceId: metropolisInstance,
        collectivityId: seed.metropolisId,
        slug: 'pass-propre',
        kind: 'catalogue_pack',
        title: 'Signaler un dépôt sauvage',
        summary: 'Un pack prêt à l’emploi pour les communes',
        anonymousAllowed: true,
        now: new Date('2026-01-10T08:00:00Z'),
      });
      await seed.publish(pack, TEST_FORM, TEST_WORKFLOW);
      packId = pack.id;
      const other = await new TeleserviceRepository(db().manager).create({
        instanceId: metropolisInstance,
        collectivityId: seed.metropolisId,
        slug: 'pack-encombrants',
        kind: 'catalogue_pack',
        title: 'Enlèvement des encombrants',
        summary: 'Un second pack',
        anonymousAllowed: true,
        now: new Date('2026-01-10T08:00:00Z'),
      });
      await seed.publish(other, TEST_FORM, TEST_WORKFLOW);
      otherPackId = other.id;
    });
    afterAll(async () => {
      await portal?.close();
    });

    it('lists the packs to the administrator of an Abonné commune, not deployed yet, linked from the administration pages', async () => {
      expect((await pageOf(GIVORS_ADMIN, '/administration/givors/agents')).html).toContain('<a href="/administration/givors/catalogue">Catalogue de téléservices</a>');
      expect((await pageOf(PLATFORM, '/administration')).html).toContain('<a href="/administration/givors/catalogue">Catalogue de téléservices<span class="visually-hidden"> pour Givors</span></a>');
      const page = await pageOf(GIVORS_ADMIN, '/administration/givors/catalogue');
      expect(page.response.status).toBe(200);
      expect(page.html).toContain('<h3>Signaler un dépôt sauvage</h3>');
      expect(page.html).toContain('<p>Un pack prêt à l’emploi pour les communes</p>');
      expect(page.html).toMatch(/<p class="pack-state">Non déployé<\/p>\s*<p><a class="button" href="\/administration\/givors\/catalogue\/[0-9a-f-]{36}">Déployer/);
      expect(page.html).not.toContain('Déploiement impossible');
    });

    it('refuses a plain agent and another commune’s administrator (403), an unknown pack (404), a POST without CSRF (403): nothing deployed', async () => {
      for (const path of ['/administration/givors/catalogue', `/administration/givors/catalogue/${packId}`]) {
        expect({ path, status: (await pageOf(GIVORS_AGENT, path)).response.status }).toEqual({ path, status: 403 });
        expect({ path, status: (await pageOf(BRON_ADMIN, path)).response.status }).toEqual({ path, status: 403 });
      }
      expect((await post(GIVORS_AGENT, `/administration/givors/catalogue/${packId}`, CONTACT)).status).toBe(403);
      expect((await post(BRON_ADMIN, `/administration/givors/catalogue/${packId}`, CONTACT)).status).toBe(403);
      expect((await pageOf(GIVORS_ADMIN, '/administration/givors/catalogue/00000000-0000-4000-8000-000000000000')).response.status).toBe(404);
      expect((await pageOf(GIVORS_ADMIN, '/administration/givors/catalogue/pas-un-pack')).response.status).toBe(404);
      expect((await post(GIVORS_ADMIN, `/administration/givors/catalogue/${seed.simple.id}`, CONTACT)).status).toBe(404); // a téléservice, not a pack
      const noCsrf = await browsers[GIVORS_ADMIN].request(`${backoffice.url}/administration/givors/catalogue/${packId}`, {
        method: 'POST',
        body: new URLSearchParams(CONTACT),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(noCsrf.status).toBe(403);
      expect(await deployments(seed.givorsId)).toEqual([]);
    });

    it('explains to a commune whose offer cannot deploy packs why, and refuses the deployment (403, nothing written)', async () => {
      const [tassin] = await db().query<{ id: string; slug: string }[]>(`SELECT id, slug FROM collectivity WHERE insee_code = '69244'`);
      const page = await pageOf(PLATFORM, `/administration/${tassin.slug}/catalogue`);
      expect(page.response.status).toBe(200);
      expect(decode(page.html)).toContain('Le catalogue est réservé aux communes adhérant au guichet avec l’offre Abonné ou Partenaire (la commune n’adhère pas au guichet).');
      expect(page.html).toContain('<h3>Signaler un dépôt sauvage</h3>');
      expect(page.html).not.toContain(`/administration/${tassin.slug}/catalogue/${packId}`);
      const refused = await post(PLATFORM, `/administration/${tassin.slug}/catalogue/${packId}`, CONTACT);
      expect(refused.status).toBe(403);
      expect(decode(await refused.text())).toContain('Le catalogue est réservé aux communes adhérant au guichet avec l\'offre Abonné ou Partenaire');
      expect(await deployments(tassin.id)).toEqual([]);
      expect(await journal('pack.deployed')).toEqual([]);
    });

    it('refuses incomplete contact details with French messages linked to their fields (422, nothing deployed)', async () => {
      const response = await post(GIVORS_ADMIN, `/administration/givors/catalogue/${packId}`, { ...CONTACT, 'contact-name': ' ', 'contact-email': 'pas-un-courriel', 'contact-phone': '12', slug: 'Mauvais Slug' });
      expect(response.status).toBe(422);
      const html = decode(await response.text());
      expect(html).toContain('<a href="#contact-name">Nom du service requis.</a>');
      expect(html).toContain('<a href="#contact-email">Courriel invalide.</a>');
      expect(html).toContain('<a href="#contact-phone">Téléphone invalide (ex. 04 78 00 00 00).</a>');
      expect(html).toContain('<a href="#slug">Minuscules, chiffres et tirets uniquement.</a>');
      expect(html).toMatch(/<input id="contact-email" name="contact-email" type="email" value="pas-un-courriel"[^>]* aria-invalid="true" aria-describedby="contact-email-error">/);
      expect(await deployments(seed.givorsId)).toEqual([]);
    });

    it('deploys the pack into the production instance with the contact details: journalled, « pack déployé » read-only in the builder, online on the portal', async () => {
      const response = await post(GIVORS_ADMIN, `/administration/givors/catalogue/${packId}`, { ...CONTACT, slug: 'depot-sauvage' });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/administration/givors/catalogue?fait=deploye');
      const [deployment] = await deployments(seed.givorsId);
      expect(deployment).toMatchObject({
        slug: 'depot-sauvage',
        kind: 'communal',
        instance: 'givors',
        settings: { contact: { name: 'Service propreté de Givors', email: 'proprete@givors.test', phone: '04 72 49 18 18', address: 'Place Camille Vallin, 69700 Givors', hours: 'Du lundi au vendredi, 8 h 30 – 12 h' } },
      });
      const [{ environment }] = await db().query<{ environment: string }[]>(`SELECT environment FROM instance WHERE slug = $1`, [deployment.instance]);
      expect(environment).toBe('production');
      expect(await journal('pack.deployed')).toEqual([
        expect.objectContaining({ actor_email: GIVORS_ADMIN, subject: 'Signaler un dépôt sauvage', details: expect.objectContaining({ packId, teleserviceId: deployment.id }) }),
      ]);
      const list = await pageOf(GIVORS_ADMIN, '/administration/givors/catalogue?fait=deploye');
      expect(list.html).toContain('Le pack a été déployé sur l’instance de production');
      expect(list.html).toContain(`<p class="pack-state">Déployé le `);
      expect(list.html).toContain(`(<a href="/teleservices/${deployment.id}">voir le téléservice<span class="visually-hidden"> Signaler un dépôt sauvage</span></a>)</p>`);
      expect(list.html).toContain('Modifier les coordonnées');
      expect((await pageOf(GIVORS_ADMIN, '/administration/givors/agents')).html).toContain('Pack du catalogue déployé');

      const builder = await pageOf(GIVORS_ADMIN, '/teleservices');
      expect(builder.html).toContain(`<a href="/teleservices/${deployment.id}">Signaler un dépôt sauvage</a></th><td>depot-sauvage</td><td>Communal (pack déployé)</td>`);
      const editor = await pageOf(GIVORS_ADMIN, `/teleservices/${deployment.id}`);
      expect(editor.html).toContain('Ce téléservice est un pack du catalogue déployé : son formulaire et son workflow suivent le catalogue.');

      const online = await fetch(`${portal.url}/demarches/${deployment.instance}/depot-sauvage`, { headers: { accept: 'text/html' } });
      expect(online.status).toBe(200);
      const onPortal = decode(await online.text());
      expect(onPortal).toContain('Signaler un dépôt sauvage');
      expect(onPortal).toContain('<strong>Service propreté de Givors</strong>');
      expect(onPortal).toContain('Téléphone : 04 72 49 18 18');
    });

    it('deploying again keeps the téléservice and changes only the contact details, pre-filled on the form; journalled', async () => {
      const form = await pageOf(GIVORS_ADMIN, `/administration/givors/catalogue/${packId}`);
      expect(form.html).toContain('<h1>Pack déployé « Signaler un dépôt sauvage »</h1>');
      expect(form.html).toContain('value="Service propreté de Givors"');
      expect(form.html).not.toContain('id="slug"');
      const response = await post(GIVORS_ADMIN, `/administration/givors/catalogue/${packId}`, { ...CONTACT, 'contact-phone': '', 'contact-hours': 'Le matin' });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/administration/givors/catalogue?fait=coordonnees');
      const all = await deployments(seed.givorsId);
      expect(all).toHaveLength(1);
      expect(all[0].settings.contact).toEqual({ name: 'Service propreté de Givors', email: 'proprete@givors.test', address: 'Place Camille Vallin, 69700 Givors', hours: 'Le matin' });
      expect((await journal('pack.unchanged')).map((e) => e.actor_email)).toEqual([GIVORS_ADMIN]);
    });

    it('refuses another pack under a slug already used on the commune’s instance (409, on the slug field, nothing written)', async () => {
      const response = await post(GIVORS_ADMIN, `/administration/givors/catalogue/${otherPackId}`, { ...CONTACT, slug: 'depot-sauvage' });
      expect(response.status).toBe(409);
      expect(decode(await response.text())).toContain('<a href="#slug">L\'identifiant « depot-sauvage » est déjà utilisé sur cette instance.</a>');
      expect(await db().query(`SELECT id FROM teleservice WHERE pack_source_id = $1`, [otherPackId])).toEqual([]);
      const list = await pageOf(GIVORS_ADMIN, '/administration/givors/catalogue');
      expect(list.html).toContain('<h3>Enlèvement des encombrants</h3>');
    });
  });
});
