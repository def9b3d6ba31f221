import { describe, expect, it } from '@jest/globals';
import { checkTemplate } from '#workflow';
import { CITIZEN_EVENTS, DEFAULT_CITIZEN_TEMPLATES, defaultCitizenMessage, smsTextOf } from './default-templates.js';

describe('default citizen messages per event', () => {
  it('exist for received, information requested, in progress, accepted, refused, closed (and a generic update), each a valid workflow template', () => {
    expect(CITIZEN_EVENTS).toEqual(expect.arrayContaining(['received', 'information_requested', 'in_progress', 'accepted', 'refused', 'closed']));
    for (const event of CITIZEN_EVENTS) {
      const template = DEFAULT_CITIZEN_TEMPLATES[event];
      for (const source of [template.subject, template.body, template.sms]) expect(checkTemplate(source)).toBeNull();
      expect(template.sms.length).toBeLessThanOrEqual(160);
    }
  });

  it('render with the demand’s tracking code and the collectivity’s name, never with an empty text', () => {
    const message = defaultCitizenMessage('refused', { demand: { trackingCode: 'ABCD2345EF' }, collectivity: { name: 'Givors' } });
    expect(message.subject).toBe('Votre demande n° ABCD2345EF n’a pas pu être acceptée');
    expect(message.text).toContain('par Givors');
    expect(message.sms).toBe('Givors : votre demande n° ABCD2345EF n’a pas pu être acceptée. Motif dans votre espace.');
  });

  it('make an SMS of a workflow subject: one line, the collectivity first, cut with an ellipsis', () => {
    expect(smsTextOf({ collectivityName: 'Bron', subject: 'Votre demande\nest acceptée' })).toBe('Bron : Votre demande est acceptée');
    const long = smsTextOf({ collectivityName: 'Bron', subject: 'x'.repeat(400) }, 160);
    expect(long).toHaveLength(160);
    expect(long.endsWith('…')).toBe(true);
  });
});
