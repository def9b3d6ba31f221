/**
 * The citizen's mobile number for a workflow SMS, or null. The territorial account stores a `phone` but no
 * consent to SMS, so the account's number is never used on its own. The number comes from the demand's form, from
 * the field the téléservice's definition marks as the citizen's phone: a `text` field with `format: "phone_fr"`
 * and `prefill: { from: "profile", attribute: "phone" }` (prefilled from the profile, confirmed or typed by the
 * citizen for this demand, which the téléservice's notice covers). Only mobile numbers (06, 07, or E.164 +336/+337,
 * and overseas mobiles already in E.164) are kept; anything else gives null (the SMS is deferred with a reason).
 */
export function contactPhoneOf(form: unknown, data: Record<string, unknown>): string | null {
  const field = markedPhoneField(form);
  if (!field) return null;
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

/** `06 12 34 56 78`, `+33 6 12…`, `0033612…` → `+33612345678`; landlines and malformed numbers → null. */
export function mobileE164(raw: string): string | null {
  const compact = raw.replace(/[\s.()-]/g, '').replace(/^00/, '+');
  if (/^0[67]\d{8}$/.test(compact)) return `+33${compact.slice(1)}`;
  if (/^\+33[67]\d{8}$/.test(compact)) return compact;
  // Overseas departments' mobiles (already E.164 when the form normalised them): +262 69…, +590 69…, +596 69…, +594 69…, +269 639…
  if (/^\+(262|590|596|594)69\d{7}$/.test(compact) || /^\+269639\d{6}$/.test(compact)) return compact;
  return null;
}
