import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { AGENT_ROLES, AgentRoleService, backofficeSubjectForEmail, type AgentRoleName } from '#agents';
import { createLogger, DomainError, loadConfig, SystemClock } from '#core';
import { connectWithRetry } from '#db';
import { databaseUrlFromEnv, EXIT_USAGE, platformDataSource, runCli } from './cli-support.js';

/**
 * `node dist/tools/agent-role.js <command>` — who may enter the back office, for which collectivity.
 *
 *   grant  (--email <adresse> | --sub <sub>) --collectivity <slug|uuid> --role agent|administrator|platform
 *   revoke (--email <adresse> | --sub <sub>) --collectivity <slug|uuid> [--role …]   (every role when omitted)
 *   list   [--collectivity <slug|uuid>]
 *
 * Roles are keyed on the `sub` the territorial account gives the back office's client (pairwise per sector).
 * With --email the tool finds the account and computes that `sub` like the provider does, so it needs the
 * identity app's IDENTITY_PAIRWISE_SALT and the back office's client registered (BACKOFFICE_OIDC_CLIENT_ID).
 * Exit codes: 0 done, 1 failure, 64 bad arguments, 78 bad configuration.
 */
const USAGE = `Usage : node dist/tools/agent-role.js <grant|revoke|list> [options]
  grant  (--email <adresse> | --sub <sub>) --collectivity <slug|uuid> --role <${AGENT_ROLES.join('|')}>
  revoke (--email <adresse> | --sub <sub>) --collectivity <slug|uuid> [--role <rôle>]
  list   [--collectivity <slug|uuid>]`;

runCli('agent-role', async () => {
  const [command, ...rest] = process.argv.slice(2);
  let values: { email?: string; sub?: string; collectivity?: string; role?: string };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { email: { type: 'string' }, sub: { type: 'string' }, collectivity: { type: 'string' }, role: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  const needsAccount = command === 'grant' || command === 'revoke';
  const badRole = values.role !== undefined && !AGENT_ROLES.includes(values.role as AgentRoleName);
  if (
    !['grant', 'revoke', 'list'].includes(command ?? '') ||
    (needsAccount && (!values.collectivity || Boolean(values.email) === Boolean(values.sub))) ||
    (command === 'grant' && !values.role) ||
    badRole
  ) {
    console.error(USAGE);
    return EXIT_USAGE;
  }
  const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', ...process.env, DATABASE_URL: databaseUrlFromEnv() });
  const dataSource = platformDataSource(config.database.url, 'parvis-agent-role');
  await connectWithRetry(dataSource, createLogger({ level: 'warn', app: 'agent-role' }), 15_000);
  const clock = new SystemClock();
  const roles = new AgentRoleService(dataSource, clock);
  try {
    if (command === 'list') {
      for (const role of await roles.listActive(values.collectivity)) {
        console.log(`${role.collectivity.name}\t${role.role}\t${role.accountEmail ?? '—'}\t${role.accountSub}\tdepuis le ${role.createdAt.toISOString().slice(0, 10)}`);
      }
      return 0;
    }
    const account = values.email ? await backofficeSubjectForEmail(dataSource, config, clock, values.email) : { sub: values.sub!, email: null };
    if (command === 'grant') {
      const role = await roles.grant({ accountSub: account.sub, accountEmail: account.email, collectivity: values.collectivity!, role: values.role as AgentRoleName });
      console.log(`Rôle ${role.role} donné à ${account.email ?? account.sub} (collectivité ${values.collectivity}).`);
    } else {
      const count = await roles.revoke(account.sub, values.collectivity!, values.role as AgentRoleName | undefined);
      console.log(`${count} rôle(s) retiré(s) à ${account.email ?? account.sub} (collectivité ${values.collectivity}).`);
    }
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await dataSource.destroy();
  }
});
