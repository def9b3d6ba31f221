import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ActOnDemand, ActOnDemandCommand, agentScope, WorkflowFunctionGrants, withTenant, type EngineCaller } from '#demands';
import { startTestApp, type TestApp } from '#testing';
import { engineApp } from './engine.app.js';
import { seedEngine, type EngineSeed } from './engine-test-fixture.js';

describe('workflow functions per téléservice, from roles and accounts (PostgreSQL, RLS)', () => {
  let app: TestApp;
  let db: DataSource;
  let seed: EngineSeed;
  let storageDir: string;
  let grants: WorkflowFunctionGrants;
  let act: ActOnDemand;

  const agent = (sub: string): Extract<EngineCaller, { kind: 'agent' }> => ({
    kind: 'agent',
    sub,
    collectivityIds: [seed.metropolisId],
    functions: ['receiver'],
    permissions: ['demands:read', 'demands:write'],
  });
  const admin = () => ({ sub: 'admin-sub', collectivityId: seed.metropolisId });
  const submit = async () => {
    const res = await fetch(`${app.url}/api/v1/teleservices/demande-simple/demands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seed.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { nom: 'Alix', courriel: 'alix@example.org', motif: 'bruit' } }),
    });
    return ((await res.json()) as { demand: { id: string } }).demand.id;
  };
  const take = (sub: string, demandId: string) => act.execute(ActOnDemandCommand.create(agent(sub), { demandId, command: { kind: 'press', actionId: 'take' } }));
  const giveRole = (sub: string, role: string) =>
    db.query(`INSERT INTO agent_role (account_sub, collectivity_id, role, functions, created_at) VALUES ($1, $2, $3, '{}', now())`, [sub, seed.metropolisId, role]);

  beforeAll(async () => {
    storageDir = await mkdtemp(join(tmpdir(), 'parvis-grants-'));
    app = await startTestApp(engineApp, { env: { STORAGE_DIR: storageDir } });
    db = app.app.get(DataSource);
    seed = await seedEngine(db);
    grants = app.app.get(WorkflowFunctionGrants);
    act = app.app.get(ActOnDemand);
    await giveRole('agent-sub', 'agent');
    await giveRole('admin-sub', 'administrator');
  });

  afterAll(async () => {
    await app?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('without any grant, a processing agent holds every function of the workflow (the former rule)', async () => {
    expect(await grants.list(admin(), seed.simple.id)).toMatchObject({ configured: false, grants: [], functions: [{ id: 'receiver', label: 'Agent instructeur' }] });
    const id = await submit();
    expect(await grants.functionsOnDemand(agent('agent-sub'), id)).toEqual(['receiver']);
    expect((await take('agent-sub', id)).demand.status).toBe('in_progress');
  });

  it('once mapped, an agent holds only the functions granted to one of their roles or to their account; ActOnDemand refuses the others', async () => {
    await grants.replace(admin(), seed.simple.id, [{ functionId: 'receiver', grantee: { role: 'administrator' } }]);
    const id = await submit();
    expect(await grants.functionsOnDemand(agent('agent-sub'), id)).toEqual([]);
    await expect(take('agent-sub', id)).rejects.toMatchObject({ code: 'WORKFLOW_ACTION_NOT_ALLOWED', kind: 'forbidden' });
    expect((await db.query(`SELECT status FROM demand WHERE id = $1`, [id]))[0].status).toBe('received');
    expect(await grants.functionsOnDemand(agent('admin-sub'), id)).toEqual(['receiver']);

    await grants.grant(admin(), { teleserviceId: seed.simple.id, functionId: 'receiver', grantee: { accountSub: 'agent-sub' } });
    await grants.grant(admin(), { teleserviceId: seed.simple.id, functionId: 'receiver', grantee: { accountSub: 'agent-sub' } }); // idempotent
    const listed = await grants.list(admin(), seed.simple.id);
    expect(listed.grants.map((g) => [g.functionId, g.role, g.accountSub])).toEqual([
      ['receiver', 'administrator', null],
      ['receiver', null, 'agent-sub'],
    ]);
    expect((await take('agent-sub', id)).demand.status).toBe('in_progress');

    // Revoking the account's grant takes the function away again; an empty mapping restores the former rule.
    await grants.revoke(admin(), listed.grants.find((g) => g.accountSub === 'agent-sub')!.id);
    const other = await submit();
    await expect(take('agent-sub', other)).rejects.toMatchObject({ code: 'WORKFLOW_ACTION_NOT_ALLOWED' });
    await grants.replace(admin(), seed.simple.id, []);
    expect((await take('agent-sub', other)).demand.status).toBe('in_progress');
  });

  it('refuses unknown functions and malformed grantees with paths, another collectivity’s téléservice, and keeps grants inside their collectivity (RLS)', async () => {
    await expect(
      grants.replace(admin(), seed.simple.id, [
        { functionId: 'inexistante', grantee: { role: 'agent' } },
        { functionId: 'receiver', grantee: { role: 'platform' as 'agent' } },
      ]),
    ).rejects.toMatchObject({
      code: 'FUNCTION_GRANT_INVALID',
      fields: [expect.objectContaining({ path: '[0].functionId', code: 'UNKNOWN_FUNCTION' }), expect.objectContaining({ path: '[1].grantee' })],
    });
    await expect(grants.list({ sub: 'x', collectivityId: seed.givorsId }, seed.simple.id)).rejects.toMatchObject({ code: 'FUNCTION_GRANT_NOT_FOUND', kind: 'not_found' });

    await grants.grant(admin(), { teleserviceId: seed.simple.id, functionId: 'receiver', grantee: { role: 'agent' } });
    const seen = (collectivityId: string) =>
      withTenant(db, agentScope([collectivityId]), (m) => m.query(`SELECT count(*)::int AS n FROM workflow_function_grant WHERE teleservice_id = $1`, [seed.simple.id]));
    expect(await seen(seed.metropolisId)).toEqual([{ n: 1 }]);
    expect(await seen(seed.givorsId)).toEqual([{ n: 0 }]);
    await grants.replace(admin(), seed.simple.id, []);
  });
});
