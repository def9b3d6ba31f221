import { describe, expect, it } from '@jest/globals';
import { DEV_CLIENT_SECRETS } from '#accounts';
import { DEV_WEB_CLIENT_SECRETS, loadConfig } from '#core';

describe('development client secrets', () => {
  it('are the ones the seeded identity clients carry, so a fresh `npm start` logs in without configuration', () => {
    expect(DEV_WEB_CLIENT_SECRETS.portal).toBe(DEV_CLIENT_SECRETS['parvis-portal']);
    expect(DEV_WEB_CLIENT_SECRETS.backoffice).toBe(DEV_CLIENT_SECRETS['parvis-backoffice']);
    const config = loadConfig({ DATABASE_URL: 'postgres://localhost/x', REDIS_URL: 'redis://localhost' });
    expect(config.webApps.portal).toEqual({ publicUrl: undefined, oidcClientId: 'parvis-portal', oidcClientSecret: DEV_CLIENT_SECRETS['parvis-portal'], usesDevelopmentSecret: true });
    expect(config.webApps.backoffice.oidcClientId).toBe('parvis-backoffice');
  });
});
