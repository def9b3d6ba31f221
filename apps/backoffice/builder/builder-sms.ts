import { hasSmsConsentBox, SMS_CONSENT_FIELD } from '#notifications';
import type { VersionContent } from '#teleservices';
import { allFieldIds, fieldSlot, formOf, type FieldLocator } from './builder-content.js';
import { isRecord } from './builder-inputs.js';

/** The label of the SMS consent box the builder inserts (docs/builder.md, docs/worker.md). */
export const SMS_CONSENT_LABEL = 'J’accepte de recevoir par SMS le suivi de ma demande';

/**
 * Whether the field is the one #notifications texts for a demand without account: a top-level `text` field with
 * `format: "phone_fr"` and `prefill: { from: "profile", attribute: "phone" }` (the rule of `markedPhoneField`).
 */
export function isSmsPhoneField(field: Record<string, unknown> | null, loc: FieldLocator): boolean {
  const prefill = field?.prefill;
  return (
    loc.sub === undefined &&
    field?.type === 'text' &&
    field.format === 'phone_fr' &&
    isRecord(prefill) &&
    prefill.from === 'profile' &&
    prefill.attribute === 'phone'
  );
}

/** What the field page shows about SMS for such a field: whether the consent box is already in the form. */
export function smsConsentState(content: VersionContent): { present: boolean; idTaken: boolean } {
  const present = hasSmsConsentBox(formOf(content));
  return { present, idTaken: !present && allFieldIds(content).includes(SMS_CONSENT_FIELD) };
}

/**
 * Inserts the checkbox `consentement_sms` (not required) right after the phone field at `loc`, in place; nothing when
 * a field already has that identifier (idempotent: a second click, or a box elsewhere in the form).
 */
export function insertSmsConsentBox(content: VersionContent, loc: FieldLocator): 'added' | 'present' {
  if (allFieldIds(content).includes(SMS_CONSENT_FIELD)) return 'present';
  const slot = fieldSlot(content, loc);
  if (!slot) return 'present';
  slot.list.splice(slot.index + 1, 0, { type: 'checkbox', id: SMS_CONSENT_FIELD, label: SMS_CONSENT_LABEL });
  return 'added';
}
