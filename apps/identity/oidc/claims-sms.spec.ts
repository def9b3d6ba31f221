import { describe, expect, it } from '@jest/globals';
import type { Account } from '#accounts';
import { accountClaims, CLAIMS_BY_SCOPE } from './claims.js';

const account = (extra: Partial<Account>): Account =>
  ({
    id: '0b7c6b1e-6a59-4a43-9d7e-5a6a1d5c0c01',
    email: 'alix@example.org',
    emailVerifiedAt: new Date('2026-01-01T00:00:00Z'),
    certificationLevel: 'none',
    certificationSource: null,
    phone: '06 11 22 33 44',
    smsConsent: true,
    ...extra,
  }) as Account;

describe('the SMS choice in the claims (scope phone)', () => {
  it('is released with the phone scope to Parvis’ own portal only; partners get the number alone', () => {
    expect(CLAIMS_BY_SCOPE.phone).toEqual(['phone_number', 'phone_number_verified', 'parvis_sms_consent']);
    expect(accountClaims(account({}), null, { parvisPortal: true })).toMatchObject({ phone_number: '06 11 22 33 44', parvis_sms_consent: true });
    expect(accountClaims(account({ smsConsent: false }), null, { parvisPortal: true })).toMatchObject({ parvis_sms_consent: false });
    expect(accountClaims(account({}), null)).not.toHaveProperty('parvis_sms_consent');
    expect(accountClaims(account({}), null, { parvisPortal: false })).not.toHaveProperty('parvis_sms_consent');
  });
});
