import { ConnectorDelivery } from './delivery/connector-delivery.entity.js';
import { Notification } from './portal/notification.entity.js';

export { MailModule } from './mail/mail.module.js';
export { MailSender, type OutgoingMail } from './mail/mail-sender.js';
export { SendMailJob } from './mail/send-mail.job.js';
export { FailingAddresses } from './mail/failing-addresses.js';
export { classifySmtpError, smtpFailure, MAIL_REJECTED, MAIL_UNAVAILABLE } from './mail/smtp-errors.js';
export { citizenNotificationMail, relayMail, agentNewDemandMail, type RenderedMail, type SummaryLine } from './templates/mail-templates.js';
export { PortalNotificationJob, notificationIdFor } from './portal/portal-notification.job.js';
export { Notification, ConnectorDelivery };
export { CONNECTOR_DELIVERY_STATUSES, type ConnectorDeliveryStatus } from './delivery/connector-delivery.entity.js';

/** Entities of #notifications (migration 1763800700000-notifications), registered in libs/platform/schema.ts. */
export const NOTIFICATIONS_ENTITIES = [Notification, ConnectorDelivery];
