import { describe, expect, it } from '@jest/globals';
import { agentNewDemandMail, citizenNotificationMail, relayMail } from './mail-templates.js';

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
});
