import { readFileSync } from 'node:fs';
import { fromRoot, type FieldError } from '#core';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

let common: Set<string> | undefined;

/** The shipped list of common passwords (lowercase), loaded once. */
export function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(fromRoot('libs', 'accounts', 'passwords', 'common-passwords.txt'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#')),
  );
  return common;
}

/**
 * ANSSI / NIST SP 800-63B rules: a minimum length, no composition rule, refused when common or when it is
 * the person's own email. Returns the field errors (empty when the password is acceptable).
 */
export function checkPassword(password: string, field = 'password', email?: string): FieldError[] {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return [{ path: field, code: 'TOO_SHORT', message: `Le mot de passe doit compter au moins ${PASSWORD_MIN_LENGTH} caractères.` }];
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return [{ path: field, code: 'TOO_LONG', message: `Le mot de passe doit compter au plus ${PASSWORD_MAX_LENGTH} caractères.` }];
  }
  const lower = password.toLowerCase();
  const own = email ? [email.toLowerCase(), email.toLowerCase().split('@')[0]] : [];
  if (commonPasswords().has(lower) || own.includes(lower)) {
    return [
      {
        path: field,
        code: 'TOO_COMMON',
        message: 'Ce mot de passe est trop courant ou trop facile à deviner : choisissez-en un autre, par exemple une phrase de plusieurs mots.',
      },
    ];
  }
  return [];
}
