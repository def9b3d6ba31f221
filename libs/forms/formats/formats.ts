/**
 * French administrative formats: checksums and normalisation. Every function takes a string already
 * trimmed by the caller or not, and either returns the normalised value or `null` when invalid.
 * No regular expression here can backtrack catastrophically (inputs are bounded by the callers too).
 */

const stripSpaces = (s: string) => s.replace(/[\s.-]/g, '');

/** Luhn checksum over a string of digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** SIREN: 9 digits, Luhn. Returns the digits without spaces. */
export function normaliseSiren(input: string): string | null {
  const s = stripSpaces(input);
  return /^\d{9}$/.test(s) && luhnValid(s) ? s : null;
}

/** La Poste's establishments share SIREN 356000000 and do not follow Luhn: their digit sum is a multiple of 5. */
const LA_POSTE_SIREN = '356000000';

/** SIRET: 14 digits, Luhn, except La Poste (SIREN 356000000) where the sum of the digits is a multiple of 5. */
export function normaliseSiret(input: string): string | null {
  const s = stripSpaces(input);
  if (!/^\d{14}$/.test(s)) return null;
  if (s.startsWith(LA_POSTE_SIREN)) {
    let sum = 0;
    for (const c of s) sum += c.charCodeAt(0) - 48;
    return sum % 5 === 0 ? s : null;
  }
  return luhnValid(s) ? s : null;
}

/** IBAN lengths by country (SEPA area and a few frequent others). Unknown countries: 15–34 characters. */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AT: 20, BE: 16, BG: 22, CH: 21, CY: 28, CZ: 24, DE: 22, DK: 18, EE: 20, ES: 24, FI: 18, FR: 27,
  GB: 22, GI: 23, GR: 27, HR: 21, HU: 28, IE: 22, IS: 26, IT: 27, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27,
  MT: 31, NL: 18, NO: 15, PL: 28, PT: 25, RO: 24, SE: 24, SI: 19, SK: 24, SM: 27, VA: 22,
};

/** Remainder of a long decimal string modulo 97, chunk by chunk (no BigInt needed). */
function mod97(digits: string): number {
  let rest = 0;
  for (let i = 0; i < digits.length; i += 7) rest = Number(String(rest) + digits.slice(i, i + 7)) % 97;
  return rest;
}

/** IBAN: spaces removed, upper case, country length, ISO 13616 mod 97 = 1. */
export function normaliseIban(input: string): string | null {
  const s = input.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return null;
  const expected = IBAN_LENGTHS[s.slice(0, 2)];
  if (expected !== undefined && s.length !== expected) return null;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let numeric = '';
  for (const c of rearranged) numeric += c >= 'A' && c <= 'Z' ? String(c.charCodeAt(0) - 55) : c;
  return mod97(numeric) === 1 ? s : null;
}

/**
 * NIR (numéro de sécurité sociale): sex (1, 2; 3, 4, 7, 8 for temporary numbers), year, month (01–12,
 * 20–42 or 50–99 when unknown), department (01–95, 2A, 2B, 96–99) … and a 2-digit key = 97 − (number mod 97),
 * where Corsica's 2A counts as 19 and 2B as 18. Returns the 15 characters without spaces, upper case.
 */
export function normaliseNir(input: string): string | null {
  const s = input.replace(/\s/g, '').toUpperCase();
  const m = /^([123478])(\d{2})(0[1-9]|1[0-2]|[2-4]\d|[5-9]\d)(\d{2}|2A|2B)(\d{3})(\d{3})(\d{2})$/.exec(s);
  if (!m) return null;
  const [, sex, year, month, dept, commune, order, key] = m;
  if (dept === '00' || commune === '000' || order === '000') return null;
  const numericDept = dept === '2A' ? '19' : dept === '2B' ? '18' : dept;
  const body = sex + year + month + numericDept + commune + order;
  const expected = 97 - mod97(body);
  return Number(key) === expected ? s : null;
}

/** French postcode: 5 digits, department 01–95 or overseas 97/98 (Corsica 20xxx included). */
export function normalisePostcodeFr(input: string): string | null {
  const s = input.trim();
  return /^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$/.test(s) ? s : null;
}

/** Overseas prefixes: national 0XXX… → country code. Anything else 0[1-9] is +33. */
const OVERSEAS: readonly [string, string][] = [
  ['0262', '262'], ['0263', '262'], ['0692', '262'], ['0693', '262'], // La Réunion
  ['0269', '262'], ['0639', '262'], // Mayotte
  ['0590', '590'], ['0690', '590'], ['0691', '590'], // Guadeloupe, Saint-Martin, Saint-Barthélemy
  ['0594', '594'], ['0694', '594'], // Guyane
  ['0596', '596'], ['0696', '596'], ['0697', '596'], // Martinique
];
const COUNTRY_CODES = ['33', '262', '590', '594', '596'];

export type PhoneOutput = 'e164' | 'national';

/**
 * French phone number (metropolitan and overseas departments). Accepts `06 12 34 56 78`, `06.12.34.56.78`,
 * `+33 6 12 34 56 78`, `+33 (0)6 …`, `0033 6 …`, and returns `+33612345678` (e164) or `0612345678` (national).
 */
export function normalisePhoneFr(input: string, output: PhoneOutput = 'e164'): string | null {
  let s = input.trim().replace(/\(0\)/g, '').replace(/[\s.\-()/]/g, '');
  if (s.startsWith('00')) s = '+' + s.slice(2);
  let national: string | null = null;
  if (s.startsWith('+')) {
    const digits = s.slice(1);
    if (!/^\d+$/.test(digits)) return null;
    for (const cc of COUNTRY_CODES) {
      if (digits.startsWith(cc) && digits.length === cc.length + 9) {
        const rest = '0' + digits.slice(cc.length);
        // +262 692… ↔ 0692…, and +33 6… ↔ 06…: check the overseas table agrees with the country code.
        const overseas = OVERSEAS.find(([prefix]) => rest.startsWith(prefix));
        if ((overseas ? overseas[1] : '33') !== cc) return null;
        national = rest;
        break;
      }
    }
  } else if (/^0\d{9}$/.test(s)) {
    national = s;
  }
  if (!national || national[1] === '0') return null;
  if (output === 'national') return national;
  const overseas = OVERSEAS.find(([prefix]) => national.startsWith(prefix));
  return `+${overseas ? overseas[1] : '33'}${national.slice(1)}`;
}

/** Email: one `@`, a sensible local part, a domain of at least two labels. Domain lower-cased. */
export function normaliseEmail(input: string): string | null {
  const s = input.trim();
  if (s.length > 254) return null;
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return null;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1).toLowerCase();
  if (local.length > 64 || !/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$/.test(local)) return null;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null;
  const labels = domain.split('.');
  if (labels.length < 2) return null;
  for (const label of labels) {
    if (!/^[a-z0-9-]{1,63}$/.test(label) || label.startsWith('-') || label.endsWith('-')) return null;
  }
  if (!/^[a-z]{2,}$/.test(labels[labels.length - 1]) && !labels[labels.length - 1].startsWith('xn--')) return null;
  return `${local}@${domain}`;
}

/** A real calendar date written `YYYY-MM-DD` (years 1000–9999). */
export function isIsoDate(input: unknown): input is string {
  if (typeof input !== 'string') return false;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1000 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  return d <= days;
}

/** INSEE commune code: 5 digits, or 2A/2B + 3 digits for Corsica. */
export const isInseeCode = (input: unknown): input is string => typeof input === 'string' && /^(?:\d{5}|2[AB]\d{3})$/.test(input);
