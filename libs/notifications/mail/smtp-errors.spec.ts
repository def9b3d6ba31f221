import { describe, expect, it } from '@jest/globals';
import { DomainError } from '#core';
import { toWorkerError } from '#queue';
import { UnrecoverableError } from 'bullmq';
import { classifySmtpError, MAIL_REJECTED, MAIL_UNAVAILABLE, smtpFailure } from './smtp-errors.js';

describe('SMTP failures', () => {
  it('5yz replies are permanent (except 503), 4yz and connection errors are temporary', () => {
    expect(classifySmtpError({ responseCode: 550 })).toBe('permanent');
    expect(classifySmtpError({ responseCode: 554 })).toBe('permanent');
    expect(classifySmtpError({ responseCode: 503 })).toBe('temporary');
    expect(classifySmtpError({ responseCode: 451 })).toBe('temporary');
    expect(classifySmtpError({ code: 'ECONNECTION' })).toBe('temporary');
    expect(classifySmtpError({ code: 'ETIMEDOUT' })).toBe('temporary');
    expect(classifySmtpError({ responseCode: 550, permanent: false })).toBe('temporary');
    expect(classifySmtpError(undefined)).toBe('temporary');
  });

  it('a permanent rejection fails the job without retry; a temporary one is retried; the server text (which may quote the address) is dropped', () => {
    const rejected = smtpFailure({ responseCode: 550, code: 'EENVELOPE', response: '550 5.1.1 <jeanne@example.org> inconnu' });
    expect(rejected).toBeInstanceOf(DomainError);
    expect(rejected.code).toBe(MAIL_REJECTED);
    expect(rejected.message).not.toContain('jeanne');
    expect(toWorkerError(rejected)).toBeInstanceOf(UnrecoverableError);

    const later = smtpFailure({ code: 'ECONNECTION' });
    expect(later.code).toBe(MAIL_UNAVAILABLE);
    expect(later.kind).toBe('unavailable');
    expect(toWorkerError(later)).toBe(later);
  });
});
