import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ClientService, SigningKeys, SUPPORTED_SCOPES, type ClientView } from '#accounts';
import { AdminEvent } from '#agents';
import { createLogger, DomainError, loadConfig, SystemClock } from '#core';
import { connectWithRetry } from '#db';
import { databaseUrlFromEnv, EXIT_USAGE, platformDataSource, runCli } from './cli-support.js';

/**
 * `node dist/tools/identity-client.js <command>` — partner clients of the territorial account (the
 * "connection kit"), for the platform team. Reads DATABASE_URL and IDENTITY_SECRET_KEY (client secrets are
 * stored encrypted with it: use the identity app's value).
 *
 *   create --id mairie-givors --name "Portail de la ville de Givors" --redirect-uri https://… [--redirect-uri …]
 *          [--post-logout-uri https://…] [--backchannel-logout-uri https://…] [--scopes "openid profile email"]
 *          [--no-consent] [--collectivity <uuid>] [--purpose "pour …"] [--public]
 *   list
 *   rotate-secret --id mairie-givors
 *   rotate-signing-key          (the identity apps pick the new key up at their next start)
 *   delete <client_id> --yes    (revokes its grants, codes and tokens, then deletes it: ClientService.remove, as
 *                                the back office's /plateforme/clients does; journalled as `client.deleted`)
 *
 * A secret is printed once, at creation or rotation: give it to the partner through a safe channel.
 * Exit codes: 0 done, 1 failure, 64 bad arguments, 78 bad configuration.
 */
const USAGE = `Usage : node dist/tools/identity-client.js <create|list|rotate-secret|rotate-signing-key|delete> [options]
  create --id <id> --name <nom> --redirect-uri <uri> [--redirect-uri <uri>…] [--post-logout-uri <uri>…]
         [--backchannel-logout-uri <uri>] [--scopes "<portées>"] [--no-consent] [--collectivity <uuid>]
         [--purpose "<finalité>"] [--public]
  list
  rotate-secret --id <id>
  rotate-signing-key
  delete <id> --yes   (supprime le client et révoque ses autorisations et jetons ; --yes confirme)
Portées possibles : ${SUPPORTED_SCOPES.join(', ')}`;

function describe(client: ClientView): string {
  return [
    `${client.clientId} — ${client.name}`,
    `  authentification : ${client.tokenEndpointAuthMethod === 'none' ? 'client public (PKCE seul)' : 'client_secret_basic'}`,
    `  retours : ${client.redirectUris.join(', ')}`,
    `  déconnexion : ${client.postLogoutRedirectUris.join(', ') || '—'}${client.backchannelLogoutUri ? ` ; back-channel : ${client.backchannelLogoutUri}` : ''}`,
    `  portées : ${client.allowedScopes.join(' ')} ; consentement ${client.consentRequired ? 'demandé' : 'non demandé'}`,
    ...(client.collectivityId ? [`  collectivité : ${client.collectivityId}`] : []),
  ].join('\n');
}

runCli('identity-client', async () => {
  const [command, ...rest] = process.argv.slice(2);
  let values: Record<string, string | string[] | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: {
        id: { type: 'string' },
        name: { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        'post-logout-uri': { type: 'string', multiple: true },
        'backchannel-logout-uri': { type: 'string' },
        scopes: { type: 'string' },
        'no-consent': { type: 'boolean' },
        collectivity: { type: 'string' },
        purpose: { type: 'string' },
        public: { type: 'boolean' },
        yes: { type: 'boolean' },
      },
      allowPositionals: command === 'delete',
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (!['create', 'list', 'rotate-secret', 'rotate-signing-key', 'delete'].includes(command ?? '')) {
    console.error(USAGE);
    return EXIT_USAGE;
  }
  if (command === 'delete') {
    // `delete <id>` (or `--id <id>`), and `--yes`: nothing is touched without it.
    const target = positionals.length === 1 && !values.id ? positionals[0] : positionals.length === 0 ? (values.id as string | undefined) : undefined;
    if (!target) {
      console.error(`Donnez un seul identifiant de client : delete <id> --yes\n${USAGE}`);
      return EXIT_USAGE;
    }
    if (!values.yes) {
      console.error(`La suppression du client « ${target} » révoque aussitôt ses autorisations et ses jetons, et ne peut pas être annulée. Relancez avec --yes pour confirmer.`);
      return EXIT_USAGE;
    }
    values.id = target;
  }
  // The tool needs the database and the identity secrets only; REDIS_URL is not used here.
  const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', ...process.env, DATABASE_URL: databaseUrlFromEnv() });
  if (config.env === 'production' && config.identity.usesDevelopmentSecrets) {
    console.error('IDENTITY_SECRET_KEY (et les autres secrets du compte territorial) doivent être donnés en production.');
    return 78;
  }
  const dataSource = platformDataSource(config.database.url, 'parvis-identity-client');
  await connectWithRetry(dataSource, createLogger({ level: 'warn', app: 'identity-client' }), 15_000);
  const clients = new ClientService(dataSource, new SystemClock(), config);
  try {
    if (command === 'list') {
      const all = await clients.list();
      console.log(all.length ? all.map(describe).join('\n\n') : 'Aucun client enregistré.');
      return 0;
    }
    if (command === 'rotate-signing-key') {
      const kid = await new SigningKeys(dataSource, new SystemClock(), config).rotate();
      console.log(`Nouvelle clé de signature : ${kid}. L'ancienne reste publiée 7 jours. Redémarrez les applications identity.`);
      return 0;
    }
    const id = values.id as string | undefined;
    if (!id) {
      console.error(`--id est obligatoire.\n${USAGE}`);
      return EXIT_USAGE;
    }
    if (command === 'delete') {
      const name = (await clients.get(id))?.name ?? null;
      const { artefactsRevoked } = await clients.remove(id);
      // The administration journal, like the back office's deletion (no person here: the command line).
      const journal = dataSource.getRepository(AdminEvent);
      await journal.save(
        journal.create({ collectivityId: null, actorSub: 'ligne-de-commande', actorEmail: null, action: 'client.deleted', subject: id, details: { name, artefactsRevoked, via: 'identity-client' }, createdAt: new Date() }),
      );
      console.log(`Client « ${id} » supprimé ; ${artefactsRevoked} autorisation(s), code(s) et jeton(s) révoqué(s).`);
      return 0;
    }
    if (command === 'rotate-secret') {
      const secret = await clients.rotateSecret(id);
      console.log(`Nouveau secret de ${id} (affiché une seule fois ; l'ancien ne fonctionne plus) :\n${secret}`);
      return 0;
    }
    const { client, secret } = await clients.create({
      clientId: id,
      name: (values.name as string | undefined) ?? '',
      redirectUris: (values['redirect-uri'] as string[] | undefined) ?? [],
      postLogoutRedirectUris: (values['post-logout-uri'] as string[] | undefined) ?? [],
      backchannelLogoutUri: (values['backchannel-logout-uri'] as string | undefined) ?? null,
      allowedScopes: ((values.scopes as string | undefined) ?? 'openid profile email').split(/\s+/).filter(Boolean),
      consentRequired: !values['no-consent'],
      collectivityId: (values.collectivity as string | undefined) ?? null,
      purpose: (values.purpose as string | undefined) ?? null,
      publicClient: Boolean(values.public),
    });
    console.log(`Client créé :\n${describe(client)}`);
    if (secret) console.log(`\nSecret (affiché une seule fois, à transmettre au partenaire par un canal sûr) :\n${secret}`);
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      console.error([error.message, ...(error.fields ?? []).map((f) => `  - ${f.path} : ${f.message}`)].join('\n'));
      return error.kind === 'not_found' ? 1 : EXIT_USAGE;
    }
    throw error;
  } finally {
    await dataSource.destroy();
  }
});
