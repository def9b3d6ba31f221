/**
 * The identifier of the checkbox by which a person without an account agrees to SMS about their demand: a
 * `checkbox` field `consentement_sms` (« J’accepte de recevoir par SMS le suivi de ma demande »), next to the phone
 * field. Without it, or unticked, the form's number is not used for SMS.
 */
export const SMS_CONSENT_FIELD = 'consentement_sms';

/**
 * The mobile number for a workflow SMS of a demand **without account** (anonymous), or null. A demand with a
 * citizen account is texted at the account's number, with the account's choice, read when the SMS is due
 * (`SmsContacts`); this is for the others. The number comes from the field the téléservice's definition marks as the
 * citizen's phone (a `text` field with `format: "phone_fr"` and `prefill: { from: "profile", attribute: "phone" }`),
 * and only when the form's consent checkbox (`SMS_CONSENT_FIELD`) is ticked. Only mobile numbers (06, 07, or E.164
 * +336/+337, and overseas mobiles already in E.164) are kept; anything else gives null (the SMS is deferred with a
 * reason).
 */
export function contactPhoneOf(form: unknown, data: Record<string, unknown>): string | null {
  const field = markedPhoneField(form);
  if (!field || !hasSmsConsentBox(form) || data[SMS_CONSENT_FIELD] !== true) return null;
  const value = data[field];
  return typeof value === 'string' ? mobileE164(value) : null;
}

/** Identifier of the field marked as the citizen's phone, or null. */
export function markedPhoneField(form: unknown): string | null {
  const pages = (form as { pages?: unknown })?.pages;
  if (!Array.isArray(pages)) return null;
  for (const page of pages) {
    const fields = (page as { fields?: unknown })?.fields;
    if (!Array.isArray(fields)) continue;
    for (const field of fields as Record<string, unknown>[]) {
      const prefill = field.prefill as { from?: string; attribute?: string } | undefined;
      if (field.type === 'text' && field.format === 'phone_fr' && prefill?.from === 'profile' && prefill.attribute === 'phone' && typeof field.id === 'string') {
        return field.id;
      }
    }
  }
  return null;
}

/** Whether the form has the SMS consent checkbox (`SMS_CONSENT_FIELD`, type `checkbox`). */
export function hasSmsConsentBox(form: unknown): boolean {
  const pages = (form as { pages?: unknown })?.pages;
  if (!Array.isArray(pages)) return false;
  return pages.some((page) => {
    const fields = (page as { fields?: unknown })?.fields;
    return Array.isArray(fields) && (fields as Record<string, unknown>[]).some((f) => f?.id === SMS_CONSENT_FIELD && f.type === 'checkbox');
  });
}

/** `06 12 34 56 78`, `+33 6 12…`, `0033612…` → `+33612345678`; landlines and malformed numbers → null. */
export function mobileE164(raw: string): string | null {
  const compact = raw.replace(/[\s.()-]/g, '').replace(/^00/, '+');
  if (/^0[67]\d{8}$/.test(compact)) return `+33${compact.slice(1)}`;
  if (/^\+33[67]\d{8}$/.test(compact)) return compact;
  // Overseas departments' mobiles (already E.164 when the form normalised them): +262 69…, +590 69…, +596 69…, +594 69…, +269 639…
  if (/^\+(262|590|596|594)69\d{7}$/.test(compact) || /^\+269639\d{6}$/.test(compact)) return compact;
  return null;
}
