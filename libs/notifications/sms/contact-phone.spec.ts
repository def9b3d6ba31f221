import { describe, expect, it } from '@jest/globals';
import { contactPhoneOf, hasSmsConsentBox, markedPhoneField, mobileE164 } from './contact-phone.js';

const form = (fields: Record<string, unknown>[]) => ({ pages: [{ id: 'p1', title: 'Page', fields }] });
const marked = { id: 'mobile', type: 'text', label: 'Mobile', format: 'phone_fr', prefill: { from: 'profile', attribute: 'phone' } };
const consent = { id: 'consentement_sms', type: 'checkbox', label: 'J’accepte de recevoir par SMS le suivi de ma demande' };

describe('the phone of a demand without account for a workflow SMS', () => {
  it('is the value of the field the definition marks (phone_fr, prefilled from the profile’s phone), as E.164, when the consent box is ticked', () => {
    expect(markedPhoneField(form([{ id: 'nom', type: 'text', label: 'Nom' }, marked]))).toBe('mobile');
    expect(hasSmsConsentBox(form([marked, consent]))).toBe(true);
    expect(contactPhoneOf(form([marked, consent]), { mobile: '06 12 34 56 78', consentement_sms: true })).toBe('+33612345678');
    expect(contactPhoneOf(form([marked, consent]), { mobile: '+33712345678', consentement_sms: true })).toBe('+33712345678');
  });

  it('is null without the consent box, unticked, or with a consent field of another type', () => {
    expect(contactPhoneOf(form([marked]), { mobile: '0612345678', consentement_sms: true })).toBeNull();
    expect(contactPhoneOf(form([marked, consent]), { mobile: '0612345678', consentement_sms: false })).toBeNull();
    expect(contactPhoneOf(form([marked, consent]), { mobile: '0612345678' })).toBeNull();
    expect(contactPhoneOf(form([marked, { ...consent, type: 'text' }]), { mobile: '0612345678', consentement_sms: true })).toBeNull();
  });

  it('is null without a marked field (an unmarked phone field is not meant for SMS), with an empty value, or for a landline', () => {
    const yes = { consentement_sms: true };
    expect(contactPhoneOf(form([{ ...marked, prefill: undefined }, consent]), { ...yes, mobile: '0612345678' })).toBeNull();
    expect(contactPhoneOf(form([{ ...marked, format: undefined }, consent]), { ...yes, mobile: '0612345678' })).toBeNull();
    expect(contactPhoneOf(form([marked, consent]), { ...yes, mobile: '' })).toBeNull();
    expect(contactPhoneOf(form([marked, consent]), { ...yes })).toBeNull();
    expect(contactPhoneOf(form([marked, consent]), { ...yes, mobile: '04 72 00 00 00' })).toBeNull();
    expect(contactPhoneOf({}, { ...yes, mobile: '0612345678' })).toBeNull();
  });

  it('normalises French mobiles, keeps overseas mobiles already in E.164, refuses the rest', () => {
    expect(mobileE164('06.12.34.56.78')).toBe('+33612345678');
    expect(mobileE164('0033 6 12 34 56 78')).toBe('+33612345678');
    expect(mobileE164('+262 692 12 34 56')).toBe('+262692123456');
    expect(mobileE164('+44 7700 900123')).toBeNull();
    expect(mobileE164('12345')).toBeNull();
  });
});
