import { describe, expect, it } from '@jest/globals';
import { profileOf } from './auth.controller.js';

describe('profileOf (profile claims kept in the session for prefill)', () => {
  it('keeps the profile, email, phone and address claims, and whether the identity is certified', () => {
    expect(
      profileOf({
        sub: 'abc',
        given_name: ' Camille ',
        family_name: 'Martin',
        email: 'camille@example.org',
        phone_number: '+33612345678',
        birthdate: '1990-05-04',
        address: { street_address: '1 place Camille Vallin', postal_code: '69700', locality: 'Givors', extra: 'ignorée' },
        certification_level: 'eidas1',
        preferred_username: 'cm',
      }),
    ).toEqual({
      given_name: 'Camille',
      family_name: 'Martin',
      email: 'camille@example.org',
      phone: '+33612345678',
      birthdate: '1990-05-04',
      address: { street_address: '1 place Camille Vallin', postal_code: '69700', locality: 'Givors' },
      certified: true,
    });
  });

  it('is not certified without a certification level or with « none », and ignores non-string claims', () => {
    expect(profileOf({ given_name: 42, certification_level: 'none', address: 'texte' })).toEqual({ certified: false });
    expect(profileOf({})).toEqual({ certified: false });
  });
});
