import { DomainError } from '#core';
import { FranceConnectErrors } from './franceconnect.errors.js';

/** The identity FranceConnect certifies (its "identité pivot"), plus the optional claims we ask for. */
export interface PivotIdentity {
  sub: string;
  givenName: string;
  familyName: string;
  /** `YYYY-MM-DD`. */
  birthdate: string;
  gender: 'male' | 'female';
  /** INSEE code of the birth commune; empty when born abroad. */
  birthplace: string;
  /** INSEE code of the birth country (99100: France). */
  birthcountry: string;
  /** As given by FranceConnect: NOT treated as verified (see docs/franceconnect.md). */
  email: string | null;
  preferredUsername: string | null;
}

/** The claims certified by FranceConnect: stored as such on the account, and read-only for the person. */
export const CERTIFIED_ATTRIBUTES = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry'] as const;

/** The scopes Parvis asks FranceConnect for (each FranceConnect claim is a scope of its own). */
export const FRANCECONNECT_SCOPES = ['openid', ...CERTIFIED_ATTRIBUTES, 'email', 'preferred_username'];

const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/** Checks and maps the userinfo claims (already signature-verified) to a pivot identity. */
export function pivotIdentity(claims: Record<string, unknown>): PivotIdentity {
  const birthdate = text(claims.birthdate);
  const gender = text(claims.gender);
  const pivot = {
    sub: text(claims.sub),
    givenName: text(claims.given_name),
    familyName: text(claims.family_name),
    birthdate,
    gender,
    birthplace: text(claims.birthplace),
    birthcountry: text(claims.birthcountry),
  };
  const valid =
    pivot.sub &&
    pivot.givenName &&
    pivot.familyName &&
    /^\d{4}-\d{2}-\d{2}$/.test(birthdate) &&
    (gender === 'male' || gender === 'female') &&
    /^(\d[\dAB]\d{3})?$/.test(pivot.birthplace) &&
    /^99\d{3}$/.test(pivot.birthcountry) &&
    (pivot.birthcountry !== '99100' || pivot.birthplace !== '');
  if (!valid) {
    throw new DomainError(FranceConnectErrors.INVALID_IDENTITY, 'FranceConnect a transmis une identité incomplète : la connexion est refusée.', 'unavailable');
  }
  const email = text(claims.email).toLowerCase();
  return {
    ...pivot,
    gender: gender as 'male' | 'female',
    email: email || null,
    preferredUsername: text(claims.preferred_username) || null,
  };
}
