/**
 * Port through which `sms.send` records, in the demand's history, that an SMS of a demand with a citizen account was
 * not sent (no SMS choice, choice withdrawn, no mobile number, deleted account): an **internal** event, for agents
 * only. Implemented by #demands (`DemandSmsNotSentRecorder`, which #notifications cannot import) and provided to the
 * worker under `SMS_NOT_SENT`.
 */
export interface SmsNotSentRecorder {
  /**
   * Appends the internal `sms_not_sent` event to the demand, once per `jobKey` (a retried or replayed job adds
   * nothing more); a demand that no longer exists is ignored. `reason` is French, without any personal data.
   */
  record(input: { demandId: string; jobKey: string; refusal: string; reason: string }): Promise<void>;
}

export const SMS_NOT_SENT = Symbol('SMS_NOT_SENT');

/** The history event's kind (internal visibility, never shown to the citizen). */
export const SMS_NOT_SENT_EVENT = 'sms_not_sent';
