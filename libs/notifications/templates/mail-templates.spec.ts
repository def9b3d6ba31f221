import { describe, expect, it } from '@jest/globals';
import { accessibleAccent, agentNewDemandMail, brandMailHtml, citizenNotificationMail, contrastOnWhite, PLATFORM_ACCENT, relayMail } from './mail-templates.js';

describe('mail templates', () => {
  it('frames a citizen mail with the collectivity’s name, escapes text into HTML, and adds List-Unsubscribe only with a preference page', () => {
    const mail = citizenNotificationMail({ collectivityName: 'Givors', subject: 'Votre demande\nreçue', text: 'Bonjour <Alix>,\n\nC’est noté.' });
    expect(mail.subject).toBe('Votre demande reçue');
    expect(mail.text).toMatch(/^Givors\n=+\n\nBonjour <Alix>,/);
    expect(mail.html).toContain('Bonjour &lt;Alix&gt;,');
    expect(mail.html).not.toContain('<Alix>');
    expect(mail.headers).toBeUndefined();
    const withPreferences = citizenNotificationMail({ collectivityName: 'Givors', subject: 's', text: 't', unsubscribeUrl: 'https://portail.test/preferences' });
    expect(withPreferences.headers).toEqual({ 'List-Unsubscribe': '<https://portail.test/preferences>' });
  });

  it('relays a readable summary (blocks as numbered items), escaping what the citizen typed, with elision of the commune’s name', () => {
    const mail = relayMail({
      senderName: 'Métropole de Lyon',
      communeName: 'Écully',
      teleserviceTitle: 'Signalement',
      trackingCode: 'ABCDEFGH23',
      submittedAt: new Date('2026-01-15T09:00:00Z'),
      lines: [
        { label: 'Description', value: '<script>alert(1)</script>' },
        { label: 'Enfants', value: '2', items: [[{ label: 'Prénom', value: 'Léa' }], [{ label: 'Prénom', value: 'Tom' }]] },
      ],
      agentLink: 'https://agents.test/demandes/1',
    });
    expect(mail.text).toContain('pour la commune d’Écully');
    expect(mail.text).toContain('Déposée le : 15 janvier 2026');
    expect(mail.text).toContain('  2. Prénom : Tom');
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.html).not.toContain('<script>');
  });

  it('gives agents a link to the demand and a List-Unsubscribe to their preferences', () => {
    const mail = agentNewDemandMail({ collectivityName: 'Bron', teleserviceTitle: 'T', trackingCode: 'C', link: 'https://a.test/d/1', preferencesUrl: 'https://a.test/p' });
    expect(mail.text).toContain('https://a.test/d/1');
    expect(mail.headers?.['List-Unsubscribe']).toBe('<https://a.test/p>');
  });

  it('frames the HTML part with the platform’s header (the name, the platform’s colour, no logo), which a collectivity’s branding replaces', () => {
    const mail = citizenNotificationMail({ collectivityName: 'Givors', subject: 's', text: 'Bonjour' });
    expect(mail.html).toContain(`color: ${PLATFORM_ACCENT};">Givors</p>`);
    expect(mail.html).not.toContain('<img');
    const branded = brandMailHtml(mail.html, { name: 'Ville de Givors <officiel>', accentColor: '#0b6e4f', logoCid: 'logo-givors@parvis' });
    expect(branded).toContain('<img src="cid:logo-givors@parvis" alt="Logo de Ville de Givors &lt;officiel&gt;"');
    expect(branded).toContain('color: #0b6e4f;">Ville de Givors &lt;officiel&gt;</p>');
    expect(branded).toContain('border-bottom: 3px solid #0b6e4f;');
    expect(branded).not.toContain(PLATFORM_ACCENT);
    // The content and the footer are untouched; a mail without the markers is left as is.
    expect(branded.slice(branded.indexOf('<!--/parvis:entete-->'))).toBe(mail.html.slice(mail.html.indexOf('<!--/parvis:entete-->')));
    expect(brandMailHtml('<p>Autre</p>', { name: 'X', accentColor: null, logoCid: null })).toBe('<p>Autre</p>');
  });

  it('keeps an accent colour only when it reaches AA contrast (4.5:1) on white, else the platform’s', () => {
    expect(contrastOnWhite('#000000')).toBeCloseTo(21, 5);
    expect(contrastOnWhite('#ffffff')).toBeCloseTo(1, 5);
    expect(contrastOnWhite('#767676')).toBeGreaterThanOrEqual(4.5); // the lightest grey passing AA
    expect(contrastOnWhite('#777777')).toBeLessThan(4.5);
    expect(accessibleAccent('#0B6E4F')).toBe('#0b6e4f');
    expect(accessibleAccent('#ffcc00')).toBe(PLATFORM_ACCENT);
    expect(accessibleAccent(null)).toBe(PLATFORM_ACCENT);
    expect(accessibleAccent('red')).toBe(PLATFORM_ACCENT);
  });
});
