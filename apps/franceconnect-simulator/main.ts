import { startFranceConnectSimulator } from './simulator.js';

/**
 * `node dist/apps/franceconnect-simulator/main.js` — the FranceConnect simulator as a process (started by
 * `npm start` outside production when FRANCECONNECT_ISSUER is unset). Development only: see simulator.ts.
 *
 * Reads FRANCECONNECT_SIMULATOR_PORT (default 3005), HOST, and the client it accepts: FRANCECONNECT_CLIENT_ID,
 * FRANCECONNECT_CLIENT_SECRET, FRANCECONNECT_REDIRECT_URI (its origin + /franceconnect/deconnexion is the
 * accepted post-logout address), FRANCECONNECT_SIGNING_ALG.
 */
const env = process.env;
const log = (level: string, msg: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ level, time: new Date().toISOString(), app: 'franceconnect-simulator', msg, ...extra }) + '\n');

try {
  const redirectUri = env.FRANCECONNECT_REDIRECT_URI || `http://127.0.0.1:${env.IDENTITY_PORT || '3003'}/franceconnect/retour`;
  const simulator = await startFranceConnectSimulator({
    port: Number(env.FRANCECONNECT_SIMULATOR_PORT || 3005),
    host: env.HOST || '127.0.0.1',
    clients: [
      {
        clientId: env.FRANCECONNECT_CLIENT_ID || 'parvis-identity',
        clientSecret: env.FRANCECONNECT_CLIENT_SECRET || 'dev-only-franceconnect-simulator-secret',
        redirectUris: [redirectUri],
        postLogoutRedirectUris: [new URL('/franceconnect/deconnexion', redirectUri).toString()],
        signingAlg: env.FRANCECONNECT_SIGNING_ALG === 'RS256' ? 'RS256' : 'ES256',
      },
    ],
  });
  log('info', 'Simulateur FranceConnect prêt (développement seulement, ce n’est pas FranceConnect)', { issuer: simulator.issuer });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void simulator.stop().then(() => process.exit(0));
    });
  }
} catch (error) {
  log('fatal', error instanceof Error ? error.message : String(error));
  process.exit(78);
}
