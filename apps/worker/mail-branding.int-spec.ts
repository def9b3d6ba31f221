import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { SubmitDemand, SubmitDemandCommand } from '#demands';
import { agentAlertMail, citizenNotificationMail, PLATFORM_ACCENT } from '#notifications';
import { OutboxService } from '#queue';
import { TeleserviceRepository } from '#teleservices';
import { startSmtpSink, startTestApp, type CapturedMail, type SmtpSink, type TestApp } from '#testing';
import { engineApp } from '../engine/engine.app.js';
import { seedEngine, T0, type EngineSeed } from '../engine/engine-test-fixture.js';
import { workerApp } from './worker.app.js';

/** A real 1×1 PNG: the logo a commune uploaded. */
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

/** The MIME part of the raw message that carries this Content-ID (headers and body), or null. */
function partWithContentId(raw: string, cid: string): string | null {
  const unfolded = raw.replace(/\r\n/g, '\n');
  const at = unfolded.search(new RegExp(`^Content-ID: <${cid.replace(/[.@-]/g, '\\$&')}>$`, 'im'));
  if (at < 0) return null;
  const start = unfolded.lastIndexOf('\n--', at);
  const end = unfolded.indexOf('\n--', at);
  return unfolded.slice(start, end < 0 ? undefined : end);
}

/**
 * `mail.send` frames the HTML part of a citizen's or an agent's mail with the competent collectivity's branding when
 * it sends: the logo as an inline CID part, the name, the accent colour (kept only with AA contrast on white); a
 * collectivity without branding keeps the platform's header. Real SMTP (an in-process sink), real worker.
 */
describe('mail.send: the collectivity’s branding on the HTML part (logo inline by CID, name, accent colour)', () => {
  let sink: SmtpSink;
  let engine: TestApp;
  let seed: EngineSeed;
  let app: TestApp;
  let db: DataSource;
  const ids: Record<string, string> = {};

  const send = (key: string, payload: Parameters<OutboxService['add']>[2]) =>
    db.transaction((manager) => app.app.get(OutboxService).add(manager, 'mail.send', payload as never, { key }));
  const mailTo = (to: string): Promise<CapturedMail> => sink.waitFor((m) => m.to.includes(to), 15_000);

  beforeAll(async () => {
    sink = await startSmtpSink();
    engine = await startTestApp(engineApp);
    seed = await seedEngine(engine.app.get(DataSource));
    app = await startTestApp(workerApp, { database: engine.database, env: { SMTP_URL: sink.url, OUTBOX_POLL_MS: '50' } });
    db = app.app.get(DataSource);
    for (const slug of ['givors', 'bron', 'vaulx-en-velin']) {
      ids[slug] = ((await db.query(`SELECT id FROM collectivity WHERE slug = $1`, [slug])) as { id: string }[])[0]!.id;
    }
    // Givors: a display name, an accessible green, a logo. Vaulx-en-Velin: a colour too light for text on white, no logo.
    await db.query(
      `INSERT INTO collectivity_branding (collectivity_id, display_name, accent_color, logo, logo_media_type, updated_at, updated_by)
       VALUES ($1, 'Ville de Givors', '#0b6e4f', $2, 'image/png', now(), 'admin-givors'), ($3, NULL, '#ffcc00', NULL, NULL, now(), 'admin-vaulx')`,
      [ids.givors, PNG_1PX, ids['vaulx-en-velin']],
    );
  });
  afterAll(async () => {
    await app?.close();
    await engine?.close();
    await sink?.close();
  });

  it('a citizen’s mail of a branded commune shows its logo (an inline PNG part referenced by cid:), its name and its colour; the text part keeps the name', async () => {
    const mail = citizenNotificationMail({ collectivityName: 'Givors', subject: 'Votre demande est acceptée', text: 'Bonne nouvelle : votre demande est acceptée.' });
    await send('brand-givors', { to: 'alix@example.org', subject: mail.subject, text: mail.text, html: mail.html, brand: { collectivityId: ids.givors! } });
    const received = await mailTo('alix@example.org');
    expect(received.html).toContain('<img src="cid:logo-givors@parvis" alt="Logo de Ville de Givors"');
    expect(received.html).toContain('color: #0b6e4f;">Ville de Givors</p>');
    expect(received.html).toContain('border-bottom: 3px solid #0b6e4f;');
    expect(received.html).toContain('Bonne nouvelle : votre demande est acceptée.');
    expect(received.html).not.toContain(PLATFORM_ACCENT);
    expect(received.text).toMatch(/^Givors\n=+\n\nBonne nouvelle/);
    const logo = partWithContentId(received.raw, 'logo-givors@parvis');
    expect(logo).not.toBeNull();
    expect(logo).toMatch(/^Content-Type: image\/png/im);
    expect(logo).toMatch(/^Content-Disposition: inline/im);
    expect(logo!.replace(/\s+/g, '')).toContain(PNG_1PX.toString('base64'));
    // The logo is related to the HTML part (multipart/related), not a loose attachment.
    expect(received.raw).toMatch(/multipart\/related/i);
  });

  it('a commune without branding keeps the platform’s header: its name, the platform’s colour, no logo, no image part', async () => {
    const mail = citizenNotificationMail({ collectivityName: 'Bron', subject: 'Votre demande est reçue', text: 'Nous avons bien reçu votre demande.' });
    await send('brand-bron', { to: 'bastien@example.org', subject: mail.subject, text: mail.text, html: mail.html, brand: { collectivityId: ids.bron! } });
    const received = await mailTo('bastien@example.org');
    expect(received.html).toContain(`color: ${PLATFORM_ACCENT};">Bron</p>`);
    expect(received.html).not.toContain('<img');
    expect(received.raw).not.toMatch(/^Content-ID:/im);
    expect(received.raw).not.toMatch(/image\//i);
  });

  it('an accent colour failing AA contrast on white falls back to the platform’s; an agent’s mail keeps its List-Unsubscribe', async () => {
    const mail = agentAlertMail({
      collectivityName: 'Vaulx-en-Velin',
      subject: 'Nouvelle demande à traiter',
      text: 'Une demande attend votre décision.',
      link: 'https://gru.example.org/demandes/1',
      preferencesUrl: 'https://gru.example.org/preferences/notifications',
    });
    await send('brand-vaulx', { to: 'agent.vaulx@example.org', subject: mail.subject, text: mail.text, html: mail.html, headers: mail.headers, brand: { collectivityId: ids['vaulx-en-velin']! } });
    const received = await mailTo('agent.vaulx@example.org');
    expect(received.html).toContain(`color: ${PLATFORM_ACCENT};">Vaulx-en-Velin</p>`);
    expect(received.html).not.toContain('#ffcc00');
    expect(received.html).not.toContain('<img');
    expect(received.headers['list-unsubscribe']).toBe('<https://gru.example.org/preferences/notifications>');
  });

  it('end to end: a workflow’s citizen mail at submission carries its collectivity’s branding', async () => {
    await db.query(
      `INSERT INTO collectivity_branding (collectivity_id, display_name, accent_color, logo, logo_media_type, updated_at, updated_by)
       VALUES ($1, 'Grand Lyon', '#b60000', $2, 'image/png', now(), 'plateforme')`,
      [seed.metropolisId, PNG_1PX],
    );
    const metropolisSlug = ((await db.query(`SELECT slug FROM collectivity WHERE id = $1`, [seed.metropolisId])) as { slug: string }[])[0]!.slug;
    const [{ id: instanceId }] = await db.query<{ id: string }[]>(`SELECT instance_id AS id FROM teleservice WHERE id = $1`, [seed.simple.id]);
    const teleservice = await new TeleserviceRepository(db.manager).create({
      instanceId,
      collectivityId: seed.metropolisId,
      slug: 'accuse-de-reception-par-courriel',
      kind: 'metropolitan',
      title: 'Accusé de réception par courriel',
      summary: 'Un courriel à la réception',
      anonymousAllowed: true,
      now: T0,
    });
    await seed.publish(
      teleservice,
      { schemaVersion: 1, title: 'Contact', pages: [{ id: 'p', title: 'Vous', fields: [{ id: 'courriel', type: 'email', label: 'Courriel', required: true }] }] },
      {
        schemaVersion: 1,
        name: 'Accusé de réception',
        initialStatus: 'received',
        functions: [{ id: 'receiver', label: 'Agent instructeur' }],
        statuses: [
          {
            id: 'received',
            label: 'Demande reçue',
            colour: '#1F5FAD',
            visibility: 'citizen',
            final: false,
            actions: [{ id: 'ack', kind: 'notify_citizen', channels: ['email'], subject: 'Demande {{demand.trackingCode}} reçue', body: 'Nous avons bien reçu votre demande.' }],
          },
        ],
      },
    );
    const { demand } = await engine.app
      .get(SubmitDemand)
      .execute(SubmitDemandCommand.create({ kind: 'anonymous' }, { teleservice: { id: teleservice.id }, data: { courriel: 'gaelle@example.org' } }));
    const received = await mailTo('gaelle@example.org');
    expect(received.subject).toBe(`Demande ${demand.trackingCode} reçue`);
    expect(received.html).toContain(`<img src="cid:logo-${metropolisSlug}@parvis" alt="Logo de Grand Lyon"`);
    expect(received.html).toContain('color: #b60000;">Grand Lyon</p>');
    expect(partWithContentId(received.raw, `logo-${metropolisSlug}@parvis`)).toMatch(/^Content-Type: image\/png/im);
  });
});
