import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { fromRoot, loadConfig } from '#core';

/**
 * oidc-provider's SSRF guard (an undici dispatcher refusing special-use addresses) is inactive inside Jest's module
 * sandbox, so the guard and the development allow-list are exercised in a plain Node process: the same dispatcher
 * oidc-provider builds, against a server on 127.0.0.1, through the provider's `fetch` (dist of outgoing-fetch.ts).
 */
const PROBE = `
import { createServer } from 'node:http';
import { applySSRFProtection } from 'oidc-provider/lib/helpers/fetch_request.js';
const { outgoingFetch } = await import(process.env.OUTGOING_FETCH);
const server = createServer((req, res) => res.end('reçu')).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const url = 'http://127.0.0.1:' + server.address().port + '/backchannel';
await fetch(url); // sets up Node's global undici dispatcher, whose class oidc-provider reuses
const Agent = (globalThis[Symbol.for('undici.globalDispatcher.2')] ?? globalThis[Symbol.for('undici.globalDispatcher.1')]).constructor;
const dispatcher = applySSRFProtection(new Agent());
const attempt = (hosts) => outgoingFetch(hosts)(url, { method: 'POST', dispatcher }).then((r) => r.text(), () => 'refusé');
console.log(JSON.stringify({ guarded: await attempt([]), otherHost: await attempt(['localhost.example']), allowed: await attempt(['127.0.0.1']) }));
server.close();
`;

describe('identity: development allow-list of back-channel hosts', () => {
  it('lets the provider reach an allowed loopback host despite the SSRF guard, which still refuses any other', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', PROBE], {
      cwd: fromRoot(),
      env: { ...process.env, OUTGOING_FETCH: pathToFileURL(fromRoot('dist/apps/identity/oidc/outgoing-fetch.js')).href },
    });
    expect(JSON.parse(stdout)).toEqual({ guarded: 'refusé', otherHost: 'refusé', allowed: 'reçu' });
  });

  it('allows loopback by default outside production, and refuses the variable in production', () => {
    const base = { DATABASE_URL: 'postgres://localhost/x', REDIS_URL: 'redis://localhost' };
    expect(loadConfig({ ...base, NODE_ENV: 'development' }).identity.devBackchannelHosts).toEqual(['127.0.0.1', 'localhost', '::1']);
    expect(loadConfig({ ...base, NODE_ENV: 'development', IDENTITY_DEV_BACKCHANNEL_HOSTS: '[::1], Mairie.local' }).identity.devBackchannelHosts).toEqual(['::1', 'mairie.local']);
    expect(loadConfig({ ...base, NODE_ENV: 'production' }).identity.devBackchannelHosts).toEqual([]);
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', IDENTITY_DEV_BACKCHANNEL_HOSTS: '127.0.0.1' })).toThrow(/IDENTITY_DEV_BACKCHANNEL_HOSTS/);
  });
});
