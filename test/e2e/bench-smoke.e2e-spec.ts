import { describe, expect, it } from '@jest/globals';
import { runScript, testInfrastructure } from '#testing';

/**
 * The benchmarks still run end to end (tiny sizes, no timing asserted: figures are measured, never tested).
 * A benchmark that no longer starts — a job without handler, a renamed API — fails here, not on the day
 * someone needs the figures.
 */
const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  ...process.env,
  DATABASE_URL: testInfrastructure().adminUrl,
  REDIS_URL: testInfrastructure().redisUrl,
  LOG_LEVEL: 'silent',
  ...extra,
});

describe('benchmarks (smoke run)', () => {
  it('outbox relay: relays and runs every row exactly once', async () => {
    const outcome = await runScript('bench/outbox-relay.js', { env: env({ BENCH_ROWS: '200', BENCH_LATENCY_ROWS: '20' }), timeoutMs: 60_000 });
    expect({ code: outcome.code, stderr: outcome.stderr }).toEqual({ code: 0, stderr: '' });
    expect(outcome.stdout).toContain('relay alone');
    expect(outcome.stdout).toContain('commit → handler');
  }, 70_000);

  it('routing: the index agrees with the naive scan', async () => {
    const outcome = await runScript('bench/routing.js', { env: env({ BENCH_POINTS: '2000', BENCH_ROUNDS: '1' }), timeoutMs: 60_000 });
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/CommuneIndex/);
  }, 70_000);

  it('submission: drives the engine API in rounds and reports rates and ratios', async () => {
    const outcome = await runScript('bench/submit.js', { env: env({ BENCH_SECONDS: '1', BENCH_CONCURRENCY: '2', BENCH_ROUNDS: '2' }), timeoutMs: 90_000 });
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/Soumissions/);
    // One API step per round; with pgbench (Debian's postgresql-client), the median ratio of the rounds per level.
    expect(outcome.stdout).toMatch(/engine API +2 +1 /);
    expect(outcome.stdout).toMatch(/engine API +2 +2 /);
    if (!outcome.stdout.includes('pgbench est introuvable')) {
      expect(outcome.stdout).toMatch(/pgbench \(SQL seul\) +2 +2 /);
      expect(outcome.stdout).toMatch(/concurrence {2}2 : \d+\.\d\d \[\d+\.\d\d – \d+\.\d\d\]/);
    }
  }, 100_000);
});
