import { renderTemplate, type TemplateVariables } from '#workflow';

/** The events of a demand's life a citizen is told about, each with a default message. */
export const CITIZEN_EVENTS = ['received', 'information_requested', 'in_progress', 'accepted', 'refused', 'closed', 'update'] as const;
export type CitizenEvent = (typeof CITIZEN_EVENTS)[number];

export interface DefaultCitizenTemplate {
  /** Mail subject and portal notification title (workflow template language). */
  subject: string;
  /** Mail text and portal notification body. */
  body: string;
  /** The SMS text: short, no link to personal data, the tracking code to find the demand. */
  sms: string;
}

/**
 * Default messages per event, in the workflow template language (`{{demand.trackingCode}}`,
 * `{{collectivity.name}}`…). A workflow's `notify_citizen` action requires its own subject and body: these are
 * the starting point the téléservice builder proposes, and the engine's fallback when a template renders empty
 * (e.g. `{{form.x}}` with x left blank), so that a citizen never receives an empty message.
 */
export const DEFAULT_CITIZEN_TEMPLATES: Readonly<Record<CitizenEvent, DefaultCitizenTemplate>> = Object.freeze({
  received: {
    subject: 'Votre demande n° {{demand.trackingCode}} est bien reçue',
    body: 'Bonjour,\n\n{{collectivity.name}} a bien reçu votre demande n° {{demand.trackingCode}}. Vous serez informé(e) de chaque étape de son traitement.\n\nVous pouvez la suivre à tout moment depuis votre espace, avec son numéro de suivi.',
    sms: '{{collectivity.name}} : votre demande n° {{demand.trackingCode}} est bien reçue.',
  },
  information_requested: {
    subject: 'Un complément est nécessaire pour votre demande n° {{demand.trackingCode}}',
    body: 'Bonjour,\n\nPour poursuivre le traitement de votre demande n° {{demand.trackingCode}}, {{collectivity.name}} a besoin d’informations complémentaires.\n\nRépondez depuis votre espace, sur la page de la demande.',
    sms: '{{collectivity.name}} : un complément est demandé pour votre demande n° {{demand.trackingCode}}. Répondez depuis votre espace.',
  },
  in_progress: {
    subject: 'Votre demande n° {{demand.trackingCode}} est en cours de traitement',
    body: 'Bonjour,\n\nVotre demande n° {{demand.trackingCode}} est en cours de traitement par les services de {{collectivity.name}}.',
    sms: '{{collectivity.name}} : votre demande n° {{demand.trackingCode}} est en cours de traitement.',
  },
  accepted: {
    subject: 'Votre demande n° {{demand.trackingCode}} est acceptée',
    body: 'Bonjour,\n\nBonne nouvelle : votre demande n° {{demand.trackingCode}} a été acceptée par {{collectivity.name}}.\n\nLe détail est disponible dans votre espace, sur la page de la demande.',
    sms: '{{collectivity.name}} : votre demande n° {{demand.trackingCode}} est acceptée. Détail dans votre espace.',
  },
  refused: {
    subject: 'Votre demande n° {{demand.trackingCode}} n’a pas pu être acceptée',
    body: 'Bonjour,\n\nVotre demande n° {{demand.trackingCode}} n’a pas pu être acceptée par {{collectivity.name}}.\n\nLe motif est indiqué dans votre espace, sur la page de la demande.',
    sms: '{{collectivity.name}} : votre demande n° {{demand.trackingCode}} n’a pas pu être acceptée. Motif dans votre espace.',
  },
  closed: {
    subject: 'Votre demande n° {{demand.trackingCode}} est terminée',
    body: 'Bonjour,\n\nLe traitement de votre demande n° {{demand.trackingCode}} par {{collectivity.name}} est terminé.\n\nElle reste consultable dans votre espace.',
    sms: '{{collectivity.name}} : le traitement de votre demande n° {{demand.trackingCode}} est terminé.',
  },
  update: {
    subject: 'Votre demande n° {{demand.trackingCode}} a évolué',
    body: 'Bonjour,\n\nVotre demande n° {{demand.trackingCode}} auprès de {{collectivity.name}} a évolué.\n\nConsultez-la dans votre espace, sur la page de la demande.',
    sms: '{{collectivity.name}} : votre demande n° {{demand.trackingCode}} a évolué. Consultez votre espace.',
  },
});

/** A default message rendered with the demand's variables (text only: the mail frame builds the HTML). */
export function defaultCitizenMessage(event: CitizenEvent, variables: TemplateVariables): { subject: string; text: string; sms: string } {
  const template = DEFAULT_CITIZEN_TEMPLATES[event];
  return {
    subject: renderTemplate(template.subject, variables).text,
    text: renderTemplate(template.body, variables).text,
    sms: renderTemplate(template.sms, variables).text,
  };
}

/**
 * The SMS text of a workflow notification: the subject (one line, what changed), prefixed with the collectivity,
 * cut to `max` characters. The body of a mail is too long and may quote personal data; an SMS says what happened
 * and where to look.
 */
export function smsTextOf(input: { collectivityName: string; subject: string }, max = 320): string {
  const subject = input.subject.replace(/\s+/g, ' ').trim();
  const text = input.collectivityName ? `${input.collectivityName} : ${subject}` : subject;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
