import { describe, expect, it } from '@jest/globals';
import { runScript, testInfrastructure } from '#testing';

/** The back office's benchmarks still run end to end (tiny size, no timing asserted: figures are measured, never tested). */
describe('back-office benchmarks (smoke run)', () => {
  it('inbox: generates demands over the communes and times the first page', async () => {
    const outcome = await runScript('bench/backoffice-inbox.js', {
      env: { ...process.env, DATABASE_URL: testInfrastructure().adminUrl, REDIS_URL: testInfrastructure().redisUrl, LOG_LEVEL: 'silent', BENCH_ROWS: '2000', BENCH_QUERIES: '5' },
      timeoutMs: 90_000,
    });
    expect({ code: outcome.code, stderr: outcome.stderr }).toEqual({ code: 0, stderr: '' });
    expect(outcome.stdout).toContain('2,000 demandes (58 communes, 40 téléservices)');
    expect(outcome.stdout).toMatch(/1re page, statut « Reçue » \+ texte +p50 [\d.]+ ms, p95/);
  }, 100_000);

  it('exports both sizes and reports rates and memory', async () => {
    const outcome = await runScript('bench/backoffice-export.js', {
      env: { ...process.env, DATABASE_URL: testInfrastructure().adminUrl, REDIS_URL: testInfrastructure().redisUrl, LOG_LEVEL: 'silent', BENCH_ROWS: '300' },
      timeoutMs: 90_000,
    });
    expect({ code: outcome.code, stderr: outcome.stderr }).toEqual({ code: 0, stderr: '' });
    expect(outcome.stdout).toContain('300 demandes insérées');
    expect(outcome.stdout).toMatch(/export CSV 30 lignes .* lignes\/s/);
    expect(outcome.stdout).toMatch(/export CSV 300 lignes .* lignes\/s/);
  }, 100_000);
});
