export { MailModule } from './mail/mail.module.js';
export { MailSender, type OutgoingMail } from './mail/mail-sender.js';
export { SendMailJob } from './mail/send-mail.job.js';
export { classifySmtpError, smtpFailure, MAIL_REJECTED, MAIL_UNAVAILABLE } from './mail/smtp-errors.js';
