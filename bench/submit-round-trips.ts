/**
 * Preloaded into the engine by the submission benchmark to count its round trips (not used in production):
 *
 *   BENCH_ENGINE_NODE_OPTIONS="--import ./dist/bench/submit-round-trips.js" node dist/bench/submit.js
 *
 * Counts every PostgreSQL query (node-postgres `Client#query`, one round trip each; a simple-protocol query of
 * several statements is one, and so is #db's `runInOneTrip`, counted as `OneTripQuery`) and every Redis command (ioredis; a MULTI … EXEC block is pipelined: one round
 * trip), and prints the most frequent on stderr when the engine stops (SIGTERM), statement texts cut to 100
 * characters, never their parameters.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const counts = new Map<string, number>();
const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

const pg = require('pg') as { Client: { prototype: { query: (...args: unknown[]) => unknown } } };
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
  const config = args[0] as string | { text?: string; submit?: unknown } | undefined;
  // A Submittable (#db's one-trip transaction) is one round trip whatever it holds: counted under its class name.
  const text = typeof config === 'string' ? config : (config?.text ?? (typeof config?.submit === 'function' ? config.constructor.name : ''));
  count(`SQL   ${text.replace(/\s+/g, ' ').trim().slice(0, 100)}`);
  return query.apply(this, args);
};

const ioredis = require('ioredis') as { default?: RedisClass } & RedisClass;
interface RedisClass {
  prototype: { sendCommand: (command: { name: string }, ...rest: unknown[]) => unknown };
}
const Redis = ioredis.default ?? ioredis;
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: unknown, command: { name: string }, ...rest: unknown[]) {
  count(`REDIS ${command.name}`);
  return sendCommand.call(this, command, ...rest);
};

process.once('SIGTERM', () => {
  const lines = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 25);
  process.stderr.write(`\nAllers-retours du moteur (les plus fréquents) :\n${lines.map(([key, n]) => `${String(n).padStart(8)}  ${key}`).join('\n')}\n`);
  // The engine's own SIGTERM handler (shutdown hooks) then ends the process.
});
