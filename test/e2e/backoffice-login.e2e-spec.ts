import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AgentRoleService, backofficeSubjectForEmail, seedDemoAgent, DEMO_AGENT } from '#agents';
import { ManualClock, runScript, startTestApp, type TestApp } from '#testing';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { createVerifiedAccount } from './identity-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

/**
 * The back office's door: only accounts with an active agent role enter, and they see their collectivities.
 * Roles are keyed on the back office's pairwise `sub`, computed for an email the way the provider does.
 */
describe('back-office login and agent roles', () => {
  let identity: TestApp;
  let backoffice: TestApp;

  beforeAll(async () => {
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    await seedClients(identity, { portal: 'http://127.0.0.1:9', backoffice: backoffice.url });
  });
  afterAll(async () => {
    await backoffice?.close();
    await identity?.close();
  });

  const roles = () => backoffice.app.get(AgentRoleService);

  it('shows a public landing page with « Se connecter », and asks an anonymous visitor of the dashboard to log in', async () => {
    const landing = await new WebBrowser().follow(`${backoffice.url}/`);
    expect(landing.response.status).toBe(200);
    expect(landing.html).toContain('<h1>Espace agents</h1>');
    expect(landing.html).toContain('href="/auth/login"');
    const dashboard = await new WebBrowser().follow(`${backoffice.url}/tableau-de-bord`);
    expect(dashboard.response.status).toBe(401);
    expect(dashboard.html).toContain('Connectez-vous avec votre compte territorial');
    expect(dashboard.html.replace(/&#x3D;/g, '=')).toContain('href="/auth/login?returnTo=%2Ftableau-de-bord"');
  });

  it('refuses an account without an agent role (403), lets it in once a role is granted, and closes the door on revocation', async () => {
    const email = 'dominique.agent@example.org';
    await createVerifiedAccount(identity, email, undefined, { givenName: 'Dominique', familyName: 'Agent' });
    const browser = new WebBrowser();
    const refused = await logIn(browser, backoffice.url, email, { returnTo: '/tableau-de-bord' });
    expect(refused.url).toBe(`${backoffice.url}/tableau-de-bord`);
    expect(refused.response.status).toBe(403);
    expect(refused.html).toContain('Votre compte n’a pas d’accès agent');
    expect(refused.html).toContain('Dominique Agent'); // logged in, and can log out from the header
    expect(refused.html).toContain('Se déconnecter');
    expect(browser.cookie(backoffice.url, 'parvis_bo')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The role is granted by email, before or after the first login: the computed sub is the one the provider gives.
    const { sub } = await backofficeSubjectForEmail(backoffice.app.get(DataSource), backoffice.config, backoffice.clock, email);
    await roles().grant({ accountSub: sub, accountEmail: email, collectivity: 'givors', role: 'agent' });
    await roles().grant({ accountSub: sub, accountEmail: email, collectivity: 'givors', role: 'agent' }); // idempotent
    const inside = await browser.follow(`${backoffice.url}/`);
    expect(inside.url).toBe(`${backoffice.url}/tableau-de-bord`);
    expect(inside.response.status).toBe(200);
    expect(inside.response.headers.get('cache-control')).toBe('no-store');
    expect(inside.html).toContain('<h1>Tableau de bord</h1>');
    expect(inside.html).toMatch(/<h3>Givors<\/h3>\s*<p>Rôle : Agent<\/p>/);
    expect((await roles().listActive('givors')).filter((r) => r.accountSub === sub)).toHaveLength(1);

    expect(await roles().revoke(sub, 'givors')).toBe(1);
    const closed = await browser.follow(`${backoffice.url}/tableau-de-bord`);
    expect(closed.response.status).toBe(403);
    expect(closed.html).toContain('Votre compte n’a pas d’accès agent');
  });

  it('does not let a role of another sector in: the portal sub of the same person is not an agent', async () => {
    const email = 'portail.seulement@example.org';
    const account = await createVerifiedAccount(identity, email);
    const { pairwiseSubject } = await import('#agents');
    const portalSub = pairwiseSubject(identity.config.identity.pairwiseSalt, 'http://127.0.0.1:9/auth/callback', account.id);
    await roles().grant({ accountSub: portalSub, collectivity: 'givors', role: 'administrator' });
    const page = await logIn(new WebBrowser(), backoffice.url, email, { returnTo: '/tableau-de-bord' });
    expect(page.response.status).toBe(403);
  });

  it('seeds the demo agent, administrator of the metropolis', async () => {
    await createVerifiedAccount(identity, DEMO_AGENT.email, undefined, { givenName: 'Alix', familyName: 'Démo' });
    await seedDemoAgent(backoffice.app.get(DataSource), backoffice.config, backoffice.clock);
    await seedDemoAgent(backoffice.app.get(DataSource), backoffice.config, backoffice.clock);
    const page = await logIn(new WebBrowser(), backoffice.url, DEMO_AGENT.email);
    expect(page.url).toBe(`${backoffice.url}/tableau-de-bord`);
    expect(page.html).toMatch(/<h3>Métropole de Lyon<\/h3>\s*<p>Rôle : Administrateur<\/p>/);
  });

  it('grants, lists and revokes roles from the command line (tools/agent-role.ts)', async () => {
    const email = 'cli.agent@example.org';
    await createVerifiedAccount(identity, email);
    const env = { ...process.env, DATABASE_URL: backoffice.database.url, NODE_ENV: 'test' };
    const granted = await runScript('tools/agent-role.js', { env, args: ['grant', '--email', email, '--collectivity', 'bron', '--role', 'administrator'] });
    expect({ code: granted.code, stderr: granted.stderr }).toEqual({ code: 0, stderr: '' });
    expect(granted.stdout).toContain('administrator');
    const listed = await runScript('tools/agent-role.js', { env, args: ['list', '--collectivity', 'bron'] });
    expect(listed.stdout).toContain(email);
    const { sub } = await backofficeSubjectForEmail(backoffice.app.get(DataSource), backoffice.config, backoffice.clock, email);
    expect((await roles().requireAccess(sub)).collectivities.map((c) => c.slug)).toEqual(['bron']);
    const revoked = await runScript('tools/agent-role.js', { env, args: ['revoke', '--email', email, '--collectivity', 'bron'] });
    expect(revoked.code).toBe(0);
    await expect(roles().requireAccess(sub)).rejects.toMatchObject({ code: 'AGENT_ROLE_REQUIRED' });
    const unknown = await runScript('tools/agent-role.js', { env, args: ['grant', '--email', 'personne@example.org', '--collectivity', 'bron', '--role', 'agent'] });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Aucun compte territorial');
    const usage = await runScript('tools/agent-role.js', { env, args: ['grant', '--collectivity', 'bron'] });
    expect(usage.code).toBe(64);
  }, 120_000); // five Node processes started one after the other: slow on a loaded 2-core machine
});
