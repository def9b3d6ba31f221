import { DataSource } from 'typeorm';
import {
  ActOnDemand,
  ActOnDemandCommand,
  SubmitDemand,
  SubmitDemandCommand,
  type EngineCaller,
  type SubmitDemandResult,
} from '#demands';
import { seedDemoCatalogue, TeleserviceRepository, type Teleservice } from '#teleservices';
import { seedDemo } from '#territory';
import type { TestApp } from '#testing';
import { newSessionId, WEB_SESSION_STORE, type WebSessionStore } from '#web-session';
import { TEST_FORM, TEST_WORKFLOW } from '../../apps/engine/engine-test-fixture.js';

/**
 * Test support of the citizen follow-up (test/e2e/portal-citizen*.e2e-spec.ts): the demo territory and catalogue
 * plus the engine fixture (« Demande simple » of the metropolis, whose workflow asks for information), portal
 * sessions written straight into the session store (a logged-in citizen is a session holding their `sub`), and
 * demands submitted and processed through the use cases.
 */
export interface CitizenWorld {
  /** « Demande simple » of the metropolis (engine test form and workflow: file field, request for information). */
  simple: Teleservice;
  metropolisId: string;
  givorsId: string;
}

export async function seedCitizenWorld(portal: TestApp): Promise<CitizenWorld> {
  const dataSource = portal.app.get(DataSource);
  await seedDemo(dataSource, portal.clock);
  await seedDemoCatalogue(dataSource, portal.clock);
  const idOf = async (sql: string) => (await dataSource.query<{ id: string }[]>(sql))[0].id;
  const metropolisId = await idOf(`SELECT id FROM collectivity WHERE kind = 'metropolis'`);
  const givorsId = await idOf(`SELECT id FROM collectivity WHERE insee_code = '69091'`);
  const instanceId = await idOf(`SELECT id FROM instance WHERE slug = 'metropole-de-lyon'`);
  const teleservices = new TeleserviceRepository(dataSource.manager);
  const now = portal.clock.now();
  const simple = await teleservices.create({
    instanceId,
    collectivityId: metropolisId,
    slug: 'demande-simple',
    kind: 'metropolitan',
    title: 'Demande simple',
    summary: 'Une demande pour les tests',
    anonymousAllowed: true,
    now,
  });
  await teleservices.createDraft(metropolisId, simple.id, now, { form: TEST_FORM, workflow: TEST_WORKFLOW, dataSources: [] });
  await teleservices.publish(metropolisId, simple.id, { publishedBy: 'system', now });
  return { simple, metropolisId, givorsId };
}

/** A browser session of a logged-in citizen on the portal: its cookie and CSRF token. */
export interface CitizenSession {
  sub: string;
  cookie: string;
  csrf: string;
  /** The session id (for adding the cookie to a real browser). */
  id: string;
}

export async function logInCitizen(portal: TestApp, sub: string, name = 'Camille Martin', email?: string): Promise<CitizenSession> {
  const store = portal.app.get<WebSessionStore>(WEB_SESSION_STORE);
  const id = newSessionId();
  const data = store.fresh();
  data.user = { sub, name, email, idToken: 'jeton-de-test', authenticatedAt: portal.clock.now().getTime() };
  await store.write(id, data);
  return { sub, id, cookie: `parvis_portal=${id}`, csrf: data.csrf };
}

export const simpleData = (name: string, extra: Record<string, unknown> = {}) => ({ nom: name, courriel: 'camille@example.org', motif: 'bruit', ...extra });

export function submit(
  portal: TestApp,
  caller: EngineCaller,
  teleserviceId: string,
  data: Record<string, unknown>,
  files: { fieldId: string; name: string; content: Buffer }[] = [],
  channel?: string,
): Promise<SubmitDemandResult> {
  return portal.app.get(SubmitDemand).execute(SubmitDemandCommand.create(caller, { teleservice: { id: teleserviceId }, data, files, channel }));
}

export function agentOf(collectivityId: string): EngineCaller {
  return { kind: 'agent', sub: 'agent-de-test', collectivityIds: [collectivityId], functions: ['receiver'], permissions: ['demands:read', 'demands:write'] };
}

export function press(portal: TestApp, collectivityId: string, demandId: string, actionId: string, extra: { comment?: string; confirmed?: boolean } = {}) {
  return portal.app.get(ActOnDemand).execute(ActOnDemandCommand.create(agentOf(collectivityId), { demandId, command: { kind: 'press', actionId, ...extra } }));
}

/** A portal notification written as the worker would (platform side; the test connection bypasses row-level security). */
export async function notify(portal: TestApp, sub: string, demandId: string | null, collectivityId: string, title: string, at: Date): Promise<string> {
  const [row] = await portal.app.get(DataSource).query<{ id: string }[]>(
    `INSERT INTO notification (account_sub, demand_id, collectivity_id, kind, title, body, created_at)
     VALUES ($1, $2, $3, 'workflow', $4, $5, $6) RETURNING id`,
    [sub, demandId, collectivityId, title, `${title} : consultez votre demande.`, at],
  );
  return row.id;
}

/** Decodes the few entities Handlebars writes in attributes and text. */
export function unescapeHtml(text: string): string {
  return text
    .replace(/&amp;/g, '&')
    .replace(/&#x3D;/g, '=')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x60;/g, '`');
}
