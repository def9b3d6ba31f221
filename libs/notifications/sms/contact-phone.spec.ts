import { describe, expect, it } from '@jest/globals';
import { contactPhoneOf, markedPhoneField, mobileE164 } from './contact-phone.js';

const form = (fields: Record<string, unknown>[]) => ({ pages: [{ id: 'p1', title: 'Page', fields }] });
const marked = { id: 'mobile', type: 'text', label: 'Mobile', format: 'phone_fr', prefill: { from: 'profile', attribute: 'phone' } };

describe('the citizen’s phone for a workflow SMS', () => {
  it('is the value of the field the definition marks (phone_fr, prefilled from the profile’s phone), as E.164', () => {
    expect(markedPhoneField(form([{ id: 'nom', type: 'text', label: 'Nom' }, marked]))).toBe('mobile');
    expect(contactPhoneOf(form([marked]), { mobile: '06 12 34 56 78' })).toBe('+33612345678');
    expect(contactPhoneOf(form([marked]), { mobile: '+33712345678' })).toBe('+33712345678');
  });

  it('is null without a marked field (an unmarked phone field is not consent to SMS), with an empty value, or for a landline', () => {
    expect(contactPhoneOf(form([{ ...marked, prefill: undefined }]), { mobile: '0612345678' })).toBeNull();
    expect(contactPhoneOf(form([{ ...marked, format: undefined }]), { mobile: '0612345678' })).toBeNull();
    expect(contactPhoneOf(form([marked]), { mobile: '' })).toBeNull();
    expect(contactPhoneOf(form([marked]), {})).toBeNull();
    expect(contactPhoneOf(form([marked]), { mobile: '04 72 00 00 00' })).toBeNull();
    expect(contactPhoneOf({}, { mobile: '0612345678' })).toBeNull();
  });

  it('normalises French mobiles, keeps overseas mobiles already in E.164, refuses the rest', () => {
    expect(mobileE164('06.12.34.56.78')).toBe('+33612345678');
    expect(mobileE164('0033 6 12 34 56 78')).toBe('+33612345678');
    expect(mobileE164('+262 692 12 34 56')).toBe('+262692123456');
    expect(mobileE164('+44 7700 900123')).toBeNull();
    expect(mobileE164('12345')).toBeNull();
  });
});
