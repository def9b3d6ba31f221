import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import {
  ActOnDemand,
  ActOnDemandCommand,
  AnswerInformationRequest,
  AnswerInformationRequestCommand,
  DemandEngine,
  DemandQueries,
  formatTrackingCode,
  openByTrackingCode,
  PostMessage,
  PostMessageCommand,
  SubmitDemand,
  SubmitDemandCommand,
  type EngineCaller,
} from '#demands';
import { ManualClock, startTestApp, type TestApp } from '#testing';
import { engineApp } from './engine.app.js';
import { seedEngine, type EngineSeed } from './engine-test-fixture.js';

/** The use cases as the portal and the back office will call them (citizens, tracking codes, agents), wired by the engine app. */
describe('demand use cases for citizens, tracking-code holders and agents', () => {
  let app: TestApp;
  let db: DataSource;
  let seed: EngineSeed;
  let storageDir: string;
  let submit: SubmitDemand;
  let act: ActOnDemand;
  let answer: AnswerInformationRequest;
  let queries: DemandQueries;
  let post: PostMessage;
  let agent: EngineCaller;

  const data = { nom: 'Sacha Petit', courriel: 'sacha@example.org', motif: 'bruit' };
  const submitAs = (caller: EngineCaller, extra: Record<string, unknown> = {}) =>
    submit.execute(SubmitDemandCommand.create(caller, { teleservice: { id: seed.simple.id }, data, ...extra }));
  const code = (promise: Promise<unknown>) => promise.then(() => 'ok', (e: { code?: string }) => e.code ?? String(e));
  const rowOf = async (id: string) => (await db.query(`SELECT status, lock_version, channel, account_sub, submitted_by_agent, access_secret_hash FROM demand WHERE id = $1`, [id]))[0];

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-usecases-'));
    app = await startTestApp(engineApp, { env: { STORAGE_DIR: storageDir } });
    db = app.app.get(DataSource);
    seed = await seedEngine(db);
    submit = app.app.get(SubmitDemand);
    act = app.app.get(ActOnDemand);
    answer = app.app.get(AnswerInformationRequest);
    queries = app.app.get(DemandQueries);
    post = app.app.get(PostMessage);
    agent = { kind: 'agent', sub: 'agent-1', collectivityIds: [seed.metropolisId], functions: ['receiver'], permissions: ['demands:read', 'demands:write', 'demands:submit'] };
  });

  afterAll(async () => {
    await app?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('anonymous submission returns the access secret once; the tracking code + secret open the demand as its citizen sees it', async () => {
    const result = await submitAs({ kind: 'anonymous' });
    expect(result.accessSecret).toEqual(expect.any(String));
    const row = await rowOf(result.demand.id);
    expect(row).toMatchObject({ channel: 'web', account_sub: null, access_secret_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(row.access_secret_hash).not.toContain(result.accessSecret);

    const scope = await openByTrackingCode(db, formatTrackingCode(result.demand.trackingCode), result.accessSecret!);
    expect(scope).toEqual({ kind: 'tracking', demandId: result.demand.id });
    const seen = await queries.get({ kind: 'tracking', demandId: scope.demandId }, result.demand.id);
    expect(seen.citizenStatus.label).toBe('Demande reçue');
    expect(seen.history.every((e) => e.visibility === 'citizen')).toBe(true);
    expect(seen.history.map((e) => e.kind)).toEqual(['submitted', 'status_changed', 'citizen_notified']);

    await expect(openByTrackingCode(db, result.demand.trackingCode, 'mauvais-secret')).rejects.toMatchObject({ code: 'DEMAND_TRACKING_ACCESS_REFUSED' });
    const other = await submitAs({ kind: 'anonymous' });
    expect(await code(queries.get({ kind: 'tracking', demandId: scope.demandId }, other.demand.id))).toBe('DEMAND_NOT_FOUND');
  });

  it('refuses anonymous submission where the téléservice requires an account', async () => {
    await db.query(`UPDATE teleservice SET anonymous_allowed = false WHERE id = $1`, [seed.simple.id]);
    app.app.get(DemandEngine).forgetCatalogue();
    try {
      expect(await code(submitAs({ kind: 'anonymous' }))).toBe('DEMAND_ANONYMOUS_NOT_ALLOWED');
      const citizen = await submitAs({ kind: 'citizen', sub: 'sub-citoyen-1' });
      expect(await rowOf(citizen.demand.id)).toMatchObject({ account_sub: 'sub-citoyen-1', access_secret_hash: null });
      expect(citizen.accessSecret).toBeNull();
      expect((await queries.get({ kind: 'citizen', sub: 'sub-citoyen-1' }, citizen.demand.id)).demand.id).toBe(citizen.demand.id);
      expect(await code(queries.get({ kind: 'citizen', sub: 'sub-autre' }, citizen.demand.id))).toBe('DEMAND_NOT_FOUND');
    } finally {
      await db.query(`UPDATE teleservice SET anonymous_allowed = true WHERE id = $1`, [seed.simple.id]);
    app.app.get(DemandEngine).forgetCatalogue();
    }
  });

  it('an agent submits on a citizen’s behalf with the channel; the channel is required', async () => {
    const result = await submitAs(agent, { channel: 'counter' });
    expect(await rowOf(result.demand.id)).toMatchObject({ channel: 'counter', submitted_by_agent: 'agent-1', account_sub: null });
    expect(() => SubmitDemandCommand.create(agent, { teleservice: { id: seed.simple.id }, data })).toThrow(expect.objectContaining({ code: 'DEMAND_REQUEST_INVALID' }));
    const givorsAgent: EngineCaller = { ...agent, collectivityIds: [seed.givorsId] } as EngineCaller;
    expect(await code(submitAs(givorsAgent, { channel: 'phone' }))).toBe('TELESERVICE_NOT_FOUND');
  });

  it('refuses an agent without the function or the permission, leaving the demand unchanged', async () => {
    const { demand } = await submitAs({ kind: 'anonymous' });
    const before = await rowOf(demand.id);
    const press = (caller: EngineCaller) => act.execute(ActOnDemandCommand.create(caller, { demandId: demand.id, command: { kind: 'press', actionId: 'take' } }));
    const noFunction = await press({ ...agent, functions: [] } as EngineCaller).catch((e: { code: string; kind: string }) => e);
    expect(noFunction).toMatchObject({ code: 'WORKFLOW_ACTION_NOT_ALLOWED', kind: 'forbidden' });
    expect(await code(press({ ...agent, permissions: ['demands:read'] } as EngineCaller))).toBe('ACCESS_DENIED');
    expect(await code(press({ kind: 'citizen', sub: 'quelqu-un' }))).toBe('DEMAND_NOT_FOUND');
    expect(await rowOf(demand.id)).toEqual(before);
    expect(await code(press(agent))).toBe('ok');
  });

  it('the citizen answers a request for information with their tracking code: the demand resumes and the answer is kept as a message', async () => {
    const { demand, accessSecret } = await submitAs({ kind: 'anonymous' });
    await act.execute(ActOnDemandCommand.create(agent, { demandId: demand.id, command: { kind: 'press', actionId: 'take' } }));
    const tracking = await openByTrackingCode(db, demand.trackingCode, accessSecret!);
    const caller: EngineCaller = { kind: 'tracking', demandId: tracking.demandId };
    // No pending request yet: refused, nothing written.
    const messagesBefore = (await queries.messages(agent, demand.id)).messages.length;
    expect(await code(answer.execute(AnswerInformationRequestCommand.create(caller, { demandId: demand.id, answer: 'trop tôt' })))).toBe('WORKFLOW_NO_PENDING_REQUEST');
    expect((await queries.messages(agent, demand.id)).messages.length).toBe(messagesBefore);

    await act.execute(ActOnDemandCommand.create(agent, { demandId: demand.id, command: { kind: 'press', actionId: 'ask-info', comment: 'Quel numéro de rue ?' } }));
    expect((await rowOf(demand.id)).status).toBe('awaiting_info');
    const answered = await answer.execute(AnswerInformationRequestCommand.create(caller, { demandId: demand.id, answer: '12 rue des Lilas' }));
    expect(answered.demand.status).toBe('in_progress');
    expect(answered.message).toMatchObject({ body: '12 rue des Lilas', visibility: 'citizen' });
    const seen = await queries.get(caller, demand.id);
    expect(seen.history.map((e) => e.kind)).toContain('info_answered');
    expect(() => AnswerInformationRequestCommand.create(agent, { demandId: demand.id, answer: 'x' })).toThrow(expect.objectContaining({ code: 'DEMAND_REQUEST_INVALID' }));
  });

  it('a citizen writes citizen-visible messages only and never reads internal ones', async () => {
    const { demand, accessSecret } = await submitAs({ kind: 'anonymous' });
    const tracking = await openByTrackingCode(db, demand.trackingCode, accessSecret!);
    const caller: EngineCaller = { kind: 'tracking', demandId: tracking.demandId };
    expect(() => PostMessageCommand.create(caller, { demandId: demand.id, body: 'secret', visibility: 'internal' })).toThrow(expect.objectContaining({ code: 'DEMAND_REQUEST_INVALID' }));
    await post.execute(PostMessageCommand.create(caller, { demandId: demand.id, body: 'Bonjour, où en est ma demande ?' }));
    (app.clock as ManualClock).advance(1_000);
    await post.execute(PostMessageCommand.create(agent, { demandId: demand.id, body: 'Usager déjà connu', visibility: 'internal' }));
    expect((await queries.messages(caller, demand.id)).messages.map((m) => m.body)).toEqual(['Bonjour, où en est ma demande ?']);
    expect((await queries.messages(agent, demand.id)).messages.map((m) => m.body)).toEqual(['Bonjour, où en est ma demande ?', 'Usager déjà connu']);
  });
});
