import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { mobileE164 } from './contact-phone.js';

/**
 * Records which account a portal subject is (`citizen_sms_subject`), in the caller's transaction: the account page
 * calls it with the portal's pairwise `sub` when the person makes or changes their SMS choice. Idempotent.
 */
export async function linkSmsSubject(manager: EntityManager, link: { accountSub: string; accountId: string; at: Date }): Promise<void> {
  await manager.query(
    `INSERT INTO "citizen_sms_subject" (account_sub, account_id, linked_at) VALUES ($1, $2, $3)
     ON CONFLICT (account_sub) DO UPDATE SET account_id = EXCLUDED.account_id, linked_at = EXCLUDED.linked_at`,
    [link.accountSub, link.accountId, link.at],
  );
}

/** What `sms.send` may do for an account: text this mobile number, or nothing, for a reason (logged, no personal data). */
export type AccountSmsContact = { to: string } | { refused: 'no_link' | 'no_consent' | 'no_mobile' };

/** French wording of each refusal (job log). */
export const SMS_REFUSALS: Record<Extract<AccountSmsContact, { refused: string }>['refused'], string> = {
  no_link: 'aucun choix SMS enregistré pour ce compte',
  no_consent: 'l’usager n’a pas accepté les SMS de suivi, ou a retiré son accord',
  no_mobile: 'pas de numéro de mobile dans le compte',
};

/**
 * The account's current SMS contact, read when an SMS is due (never earlier): the mobile number of the account and
 * its choice « Recevoir les SMS de suivi de mes démarches » (`identity.account.phone`, `sms_consent`), found through
 * the portal subject's link. A withdrawn choice, a deleted account or a landline gives no number. Reads the two
 * account columns directly (documented SQL, as `FailingAddresses` does), without depending on #accounts' services.
 */
@Injectable()
export class SmsContacts {
  constructor(private readonly dataSource: DataSource) {}

  async ofAccount(accountSub: string): Promise<AccountSmsContact> {
    const rows: { phone: string | null; sms_consent: boolean }[] = await this.dataSource.query(
      `SELECT a.phone, a.sms_consent FROM "citizen_sms_subject" s JOIN "identity"."account" a ON a.id = s.account_id WHERE s.account_sub = $1`,
      [accountSub],
    );
    const row = rows[0];
    if (!row) return { refused: 'no_link' };
    if (!row.sms_consent) return { refused: 'no_consent' };
    const to = row.phone ? mobileE164(row.phone) : null;
    return to ? { to } : { refused: 'no_mobile' };
  }
}
