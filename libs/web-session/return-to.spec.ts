import { describe, expect, it } from '@jest/globals';
import { safeReturnTo } from './return-to.js';

describe('safeReturnTo', () => {
  it('keeps a local path with its query', () => {
    expect(safeReturnTo('/mes-demarches?page=2')).toBe('/mes-demarches?page=2');
    expect(safeReturnTo('/')).toBe('/');
  });

  it.each([
    '//evil.example',
    '//evil.example/path',
    'https://evil.example',
    'http:evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    '/\tevil',
    ' /ok',
    '',
    '/auth/login',
    '/auth/callback?code=x',
  ])('refuses %j and falls back to /', (value) => {
    expect(safeReturnTo(value)).toBe('/');
  });

  it('refuses what is not a string', () => {
    expect(safeReturnTo(['/a', '/b'])).toBe('/');
    expect(safeReturnTo(undefined)).toBe('/');
  });
});
