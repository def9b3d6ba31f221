import { describe, expect, it } from '@jest/globals';
import { SecretBox } from './secret-box.js';

describe('SecretBox (AES-256-GCM at rest)', () => {
  const box = new SecretBox('une clé de test assez longue pour HKDF 0123456789');

  it('opens what it sealed, with a fresh IV each time', () => {
    const a = box.seal('secret du client', 'oidc-client-secret');
    const b = box.seal('secret du client', 'oidc-client-secret');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\./);
    expect(a).not.toContain('secret du client');
    expect(box.open(a, 'oidc-client-secret')).toBe('secret du client');
  });

  it('refuses another purpose, another key, or a tampered ciphertext', () => {
    const sealed = box.seal('secret du client', 'oidc-client-secret');
    expect(() => box.open(sealed, 'oidc-signing-key')).toThrow();
    expect(() => new SecretBox('une autre clé, tout aussi longue, 9876543210').open(sealed, 'oidc-client-secret')).toThrow();
    const [v, iv, body, tag] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.open([v, iv, flipped.toString('base64url'), tag].join('.'), 'oidc-client-secret')).toThrow();
  });
});
