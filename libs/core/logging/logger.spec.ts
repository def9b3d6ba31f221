import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { runWithCorrelation, acceptCorrelationId } from './context.js';
import { createLogger, scrubSecrets } from './logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', app: 'test', destination }) };
}

describe('structured logger', () => {
  it('writes one JSON object per line with level, time, app and message', () => {
    const { lines, logger } = capture();
    logger.info({ demandId: 'd-1' }, 'Demande reçue');
    expect(lines[0]).toMatchObject({ level: 'info', app: 'test', msg: 'Demande reçue', demandId: 'd-1' });
    expect(typeof lines[0].time).toBe('string');
  });

  it('masks personal data and secrets at any depth', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        email: 'camille@example.org',
        user: { password: 'hunter2hunter2', phone: '0611223344', profile: { given_name: 'Camille' } },
        job: { data: { payload: { to: 'camille@example.org', token: 'abc' } } },
        req: { headers: { authorization: 'Bearer xyz', cookie: 'sid=1' } },
      },
      'avec données personnelles',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ['camille@example.org', 'hunter2hunter2', '0611223344', 'Camille', 'Bearer xyz', 'sid=1']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[masqué]');
  });

  it('removes credentials from URLs in messages and errors', () => {
    const { lines, logger } = capture();
    logger.error({ err: new Error('connect failed postgres://parvis:topsecret@db:5432/parvis') }, 'échec redis://:pw123@cache:6379');
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('topsecret');
    expect(text).not.toContain('pw123');
    expect(scrubSecrets('smtp://user:pass@mail:25')).toBe('smtp://user:***@mail:25');
  });

  it('adds the correlation id of the current request or job to every line', () => {
    const { lines, logger } = capture();
    runWithCorrelation('corr-12345678', () => logger.info('dans la requête'));
    logger.info('hors requête');
    expect(lines[0].correlationId).toBe('corr-12345678');
    expect(lines[1].correlationId).toBeUndefined();
  });

  it('accepts a well-formed caller correlation id and replaces anything else', () => {
    expect(acceptCorrelationId('abc-12345678')).toBe('abc-12345678');
    expect(acceptCorrelationId('bad id\r\nx')).not.toContain('\n');
    expect(acceptCorrelationId(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
