import { AgentDigestItem } from './agents/agent-digest-item.entity.js';
import { AgentNotificationPreference } from './agents/agent-notification-preference.entity.js';
import { ConnectorDelivery } from './delivery/connector-delivery.entity.js';
import { Notification } from './portal/notification.entity.js';
import { CitizenSmsSubject } from './sms/citizen-sms-subject.entity.js';

export { MailModule } from './mail/mail.module.js';
export { MailSender, type OutgoingMail, type MailAttachment } from './mail/mail-sender.js';
export { MailBranding } from './mail/mail-branding.js';
export { SendMailJob } from './mail/send-mail.job.js';
export { FailingAddresses } from './mail/failing-addresses.js';
export { classifySmtpError, smtpFailure, MAIL_REJECTED, MAIL_UNAVAILABLE, MAIL_ADDRESS_FAILING } from './mail/smtp-errors.js';
export {
  citizenNotificationMail,
  relayMail,
  agentNewDemandMail,
  agentAlertMail,
  agentDigestMail,
  brandMailHtml,
  accessibleAccent,
  contrastOnWhite,
  PLATFORM_ACCENT,
  type MailBrand,
  type RenderedMail,
  type SummaryLine,
} from './templates/mail-templates.js';
export {
  CITIZEN_EVENTS,
  DEFAULT_CITIZEN_TEMPLATES,
  defaultCitizenMessage,
  smsTextOf,
  type CitizenEvent,
  type DefaultCitizenTemplate,
} from './templates/default-templates.js';
export { PortalNotificationJob, notificationIdFor } from './portal/portal-notification.job.js';

// SMS
export { SmsModule } from './sms/sms.module.js';
export { SendSmsJob } from './sms/send-sms.job.js';
export { SMS_NOT_SENT, SMS_NOT_SENT_EVENT, type SmsNotSentRecorder } from './sms/sms-not-sent.js';
export {
  HttpSmsSender,
  SMS_SENDER,
  SMS_REJECTED,
  SMS_UNAVAILABLE,
  SMS_NOT_CONFIGURED,
  smsReferenceFor,
  type SmsSender,
  type OutgoingSms,
} from './sms/sms-sender.js';
export { contactPhoneOf, markedPhoneField, mobileE164, hasSmsConsentBox, SMS_CONSENT_FIELD } from './sms/contact-phone.js';
export { SmsContacts, linkSmsSubject, SMS_REFUSALS, type AccountSmsContact } from './sms/sms-subjects.js';

// Agents: preferences, alerts (instant or digest), digests
export { AgentNotificationsModule } from './agents/agent-notifications.module.js';
export { AgentNotificationPreferences, AGENT_PREFERENCE_INVALID } from './agents/agent-notification-preferences.js';
export { AGENT_NOTIFICATION_MODES, type AgentNotificationMode } from './agents/agent-notification-preference.entity.js';
export { agentRecipients, alertAgents, type AgentRecipient, type AgentAlert, type AgentAlertOutcome } from './agents/agent-alerts.js';
export { AgentsNotifyJob, backofficeUrlOf } from './agents/agents-notify.job.js';
export { AgentDigestJob, dayIn, digestKeyFor } from './agents/agent-digest.job.js';

export { Notification, ConnectorDelivery, AgentNotificationPreference, AgentDigestItem, CitizenSmsSubject };
export { CONNECTOR_DELIVERY_STATUSES, type ConnectorDeliveryStatus } from './delivery/connector-delivery.entity.js';

/**
 * Entities of #notifications (migrations 1763800700000-notifications, 1763801200000-agent-notifications,
 * 1763802000000-sms-consent), registered in libs/platform/schema.ts.
 */
export const NOTIFICATIONS_ENTITIES = [Notification, ConnectorDelivery, AgentNotificationPreference, AgentDigestItem, CitizenSmsSubject];
