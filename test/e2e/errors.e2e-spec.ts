import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { DomainError } from '#core';
import { startTestApp, type TestApp } from '#testing';
import { portalApp } from '../../apps/portal/portal.app.js';
import { engineApp } from '../../apps/engine/engine.app.js';

@Controller()
class FailingController {
  @Post('api/demandes')
  submit(@Body() body: { email?: string }) {
    throw DomainError.invalid('DEMAND_INVALID', 'La demande contient des erreurs.', [
      { path: 'data.email', code: 'INVALID_EMAIL', message: `« ${body.email} » n'est pas une adresse électronique valide.` },
    ]);
  }

  @Get('api/demandes/inconnue')
  missing() {
    throw DomainError.notFound('DEMAND_NOT_FOUND', 'Cette demande est introuvable.');
  }

  @Get('boom')
  boom() {
    throw new Error('connection to postgres://parvis:secret@db failed with internal detail');
  }
}

function decodeEntities(html: string): string {
  return html.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&#x3D;/g, '=');
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe('errors as people and partners see them', () => {
  let portal: TestApp;
  let engine: TestApp;

  beforeAll(async () => {
    portal = await startTestApp({ ...portalApp, module: { module: FailingModule, imports: [portalApp.module as typeof FailingModule] } });
    engine = await startTestApp({ ...engineApp, module: { module: FailingModule, imports: [engineApp.module as typeof FailingModule] } });
  });
  afterAll(async () => {
    await portal.close();
    await engine.close();
  });

  it('maps a domain error to its status and the { code, message, fields } body', async () => {
    const res = await fetch(`${engine.url}/api/demandes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'pas-une-adresse' }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      code: 'DEMAND_INVALID',
      message: 'La demande contient des erreurs.',
      fields: [{ path: 'data.email', code: 'INVALID_EMAIL', message: "« pas-une-adresse » n'est pas une adresse électronique valide." }],
    });
    const notFound = await fetch(`${engine.url}/api/demandes/inconnue`);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ code: 'DEMAND_NOT_FOUND', message: 'Cette demande est introuvable.' });
  });

  it('answers malformed JSON with 400 BAD_REQUEST in French', async () => {
    const res = await fetch(`${engine.url}/api/demandes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 'BAD_REQUEST', message: "Le contenu envoyé n'est pas un JSON valide." });
  });

  it('hides unexpected errors behind a 500 that shows only a correlation id', async () => {
    const res = await fetch(`${engine.url}/boom`, { headers: { 'x-correlation-id': 'support-ticket-42' } });
    expect(res.status).toBe(500);
    const body = (await res.json()) as Record<string, string>;
    expect(body.code).toBe('INTERNAL');
    expect(body.correlationId).toBe('support-ticket-42');
    expect(body.message).toContain('support-ticket-42');
    expect(JSON.stringify(body)).not.toMatch(/postgres|secret|internal detail|at .*\.ts/);
    expect(res.headers.get('x-correlation-id')).toBe('support-ticket-42');
  });

  it('gives browsers an HTML error page in the shared layout, and APIs JSON, for unknown routes', async () => {
    const page = await fetch(`${portal.url}/cette-page-n-existe-pas`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = decodeEntities(await page.text());
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('<title>Page introuvable — Guichet numérique de la Métropole</title>');
    expect(html).toContain("La page ou la ressource demandée n'existe pas.");
    expect(html).toContain('href="#contenu"');

    const api = await fetch(`${portal.url}/api/inconnue`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ code: 'NOT_FOUND', message: "La page ou la ressource demandée n'existe pas." });

    const engineUnknown = await fetch(`${engine.url}/nulle-part`, { headers: { accept: 'text/html' } });
    expect(engineUnknown.status).toBe(404);
    expect(engineUnknown.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('renders the 500 page for browsers with the incident number', async () => {
    const res = await fetch(`${portal.url}/boom`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).toContain('Erreur du service');
    expect(html).toContain(res.headers.get('x-correlation-id') ?? 'absent');
    expect(html).not.toContain('secret');
  });

  it('sends security headers on every response', async () => {
    const res = await fetch(`${portal.url}/`);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});
