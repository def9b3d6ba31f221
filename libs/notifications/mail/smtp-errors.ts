import { DomainError } from '#core';

export const MAIL_REJECTED = 'MAIL_REJECTED';
export const MAIL_UNAVAILABLE = 'MAIL_UNAVAILABLE';
/** The address is marked failing on its account (an earlier permanent rejection): the mail is not attempted. */
export const MAIL_ADDRESS_FAILING = 'MAIL_ADDRESS_FAILING';

interface SmtpErrorLike {
  code?: unknown;
  responseCode?: unknown;
  permanent?: unknown;
}

/**
 * Permanent: the server answered 5yz (except 503, a session-state error): sending the same mail again would
 * be refused again. Everything else (4yz, connection refused or cut, timeouts, DNS) is temporary.
 */
export function classifySmtpError(error: unknown): 'permanent' | 'temporary' {
  const e = (error ?? {}) as SmtpErrorLike;
  if (typeof e.permanent === 'boolean') return e.permanent ? 'permanent' : 'temporary';
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  return code !== undefined && code >= 500 && code < 600 && code !== 503 ? 'permanent' : 'temporary';
}

/**
 * The domain error for a failed SMTP delivery, without the server's text (it may quote the address):
 * `MAIL_REJECTED` (kind invalid, never retried) or `MAIL_UNAVAILABLE` (kind unavailable, retried with backoff).
 */
export function smtpFailure(error: unknown): DomainError {
  const e = (error ?? {}) as SmtpErrorLike;
  const reply = typeof e.responseCode === 'number' ? `réponse ${e.responseCode}` : typeof e.code === 'string' ? e.code : 'erreur inconnue';
  if (classifySmtpError(error) === 'permanent') {
    return new DomainError(MAIL_REJECTED, `Le serveur de messagerie a refusé définitivement ce courriel (${reply}).`, 'invalid');
  }
  return DomainError.unavailable(MAIL_UNAVAILABLE, `Le serveur de messagerie est momentanément injoignable ou a différé l'envoi (${reply}).`);
}
