import { describe, expect, it } from '@jest/globals';
import { checkPassword, commonPasswords, PASSWORD_MIN_LENGTH } from './password-policy.js';

describe('password policy (length, common passwords, no composition rule)', () => {
  it('ships a list of several thousand common passwords, all lowercase', () => {
    const list = commonPasswords();
    expect(list.size).toBeGreaterThan(5_000);
    expect([...list].every((p) => p === p.toLowerCase())).toBe(true);
    expect(list.has('azertyuiop123')).toBe(true);
  });

  it('requires 12 characters, counted as characters (not bytes)', () => {
    expect(PASSWORD_MIN_LENGTH).toBe(12);
    expect(checkPassword('onze carac.')).toEqual([expect.objectContaining({ path: 'password', code: 'TOO_SHORT' })]);
    expect(checkPassword('été à l’île!')).toEqual([]); // 12 characters, more bytes
    expect(checkPassword('ééééééééééé')).toEqual([expect.objectContaining({ code: 'TOO_SHORT' })]);
  });

  it('refuses common passwords whatever their case, and the account email', () => {
    expect(checkPassword('Password1234')).toEqual([expect.objectContaining({ code: 'TOO_COMMON' })]);
    expect(checkPassword('AZERTYUIOP123')).toEqual([expect.objectContaining({ code: 'TOO_COMMON' })]);
    expect(checkPassword('camille.martin@example.org', 'password', 'Camille.Martin@example.org')).toEqual([
      expect.objectContaining({ code: 'TOO_COMMON' }),
    ]);
  });

  it('accepts a long passphrase without digits, capitals or symbols', () => {
    expect(checkPassword('le chat dort sur le radiateur')).toEqual([]);
  });
});
