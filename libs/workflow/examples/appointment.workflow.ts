import type { WorkflowDefinition } from '../definition/workflow-definition.schema.js';

/**
 * An appointment request: the desk confirms (booking pushed to the calendar system, a convocation
 * generated), proposes another slot (the citizen answers) or declines; a reminder goes out the day
 * before `form.date_rdv` through an internal status (the citizen still sees "Rendez-vous confirmé");
 * the citizen can cancel until the appointment.
 */
export const APPOINTMENT_WORKFLOW: WorkflowDefinition = {
  schemaVersion: 1,
  name: 'Demande de rendez-vous',
  initialStatus: 'requested',
  functions: [{ id: 'desk', label: 'Agent d’accueil' }],
  statuses: [
    {
      id: 'requested',
      label: 'Demande de rendez-vous reçue',
      colour: '#1F5FAD',
      visibility: 'citizen',
      final: false,
      actions: [
        {
          id: 'ack',
          kind: 'notify_citizen',
          channels: ['email', 'portal'],
          subject: 'Demande de rendez-vous {{demand.trackingCode}} reçue',
          body: 'Bonjour,\n\nNous avons bien reçu votre demande de rendez-vous pour le {{datetime form.date_rdv}}.',
        },
        { id: 'alert', kind: 'notify_agents', function: 'desk', subject: 'Rendez-vous à confirmer', body: 'Rendez-vous demandé le {{datetime form.date_rdv}} : {{demand.url}}' },
        { id: 'confirm', kind: 'button', label: 'Confirmer le rendez-vous', target: 'confirmed', functions: ['desk'] },
        {
          id: 'propose',
          kind: 'request_info',
          label: 'Proposer un autre créneau',
          functions: ['desk'],
          commentRequired: true,
          subject: 'Votre rendez-vous {{demand.trackingCode}} : autre créneau proposé',
          message: 'Bonjour,\n\nLe créneau demandé n’est pas disponible. Nous vous proposons : {{action.comment}}\nRépondez ici : {{demand.url}}',
          waitingStatus: 'awaiting_citizen',
          resumeStatus: 'requested',
        },
        { id: 'decline', kind: 'button', label: 'Refuser', target: 'declined', functions: ['desk'], commentRequired: true, commentVisibility: 'citizen' },
        { id: 'cancel-request', kind: 'button', label: 'Annuler ma demande', target: 'cancelled', functions: [], byCitizen: true, confirm: 'Annuler votre demande de rendez-vous ?' },
      ],
    },
    {
      id: 'awaiting_citizen',
      label: 'En attente de votre réponse',
      colour: '#6E445A',
      visibility: 'citizen',
      final: false,
      actions: [
        { id: 'expire', kind: 'auto_jump', trigger: { afterDelay: 'P15D' }, target: 'cancelled' },
        { id: 'cancel-waiting', kind: 'button', label: 'Annuler ma demande', target: 'cancelled', functions: [], byCitizen: true },
      ],
    },
    {
      id: 'confirmed',
      label: 'Rendez-vous confirmé',
      colour: '#18753C',
      visibility: 'citizen',
      final: false,
      actions: [
        {
          id: 'book',
          kind: 'webservice',
          url: 'https://agenda.example.org/api/bookings',
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{"reference": {{json demand.trackingCode}}, "start": {{json form.date_rdv}} }',
          timeoutSeconds: 10,
          retries: 3,
          storeResponseAs: 'booking',
          onFailure: 'booking_failed',
        },
        { id: 'convocation', kind: 'attach_document', documentTemplate: 'convocation-rdv', filename: 'convocation-{{demand.trackingCode}}.pdf', visibility: 'citizen' },
        {
          id: 'tell-confirmed',
          kind: 'notify_citizen',
          channels: ['email', 'sms', 'portal'],
          subject: 'Rendez-vous confirmé le {{datetime form.date_rdv}}',
          body: 'Bonjour,\n\nVotre rendez-vous est confirmé le {{datetime form.date_rdv}}. Votre convocation est disponible sur {{demand.url}}',
        },
        { id: 'remind', kind: 'auto_jump', trigger: { atDateField: 'date_rdv', offset: '-P1D' }, target: 'reminded' },
        { id: 'cancel-confirmed', kind: 'button', label: 'Annuler mon rendez-vous', target: 'cancelled', functions: ['desk'], byCitizen: true, confirm: 'Annuler ce rendez-vous ?' },
      ],
    },
    {
      id: 'reminded',
      label: 'Rappel envoyé',
      colour: '#3A3A3A',
      visibility: 'internal',
      final: false,
      agentHelp: 'Après le rendez-vous, indiquez si la personne est venue.',
      actions: [
        {
          id: 'reminder',
          kind: 'notify_citizen',
          channels: ['sms', 'email'],
          subject: 'Rappel : rendez-vous demain',
          body: 'Rappel : vous avez rendez-vous le {{datetime form.date_rdv}} ({{collectivity.name}}).',
        },
        { id: 'honoured', kind: 'button', label: 'Rendez-vous honoré', target: 'done', functions: ['desk'], bulkAllowed: true },
        { id: 'no-show', kind: 'button', label: 'Absent', target: 'missed', functions: ['desk'], bulkAllowed: true },
        { id: 'cancel-late', kind: 'button', label: 'Annuler mon rendez-vous', target: 'cancelled', functions: ['desk'], byCitizen: true, confirm: 'Annuler ce rendez-vous ?' },
      ],
    },
    {
      id: 'booking_failed',
      label: 'Échec de l’inscription à l’agenda',
      colour: '#CE0500',
      visibility: 'internal',
      final: false,
      agentHelp: 'L’agenda n’a pas accepté la réservation : vérifiez le créneau puis réessayez.',
      actions: [
        { id: 'alert-failure', kind: 'notify_agents', function: 'desk', subject: 'Réservation agenda en échec', body: 'La réservation de {{demand.trackingCode}} a échoué.' },
        { id: 'retry', kind: 'button', label: 'Réessayer la réservation', target: 'confirmed', functions: ['desk'] },
        { id: 'give-up', kind: 'button', label: 'Refuser', target: 'declined', functions: ['desk'], commentRequired: true, commentVisibility: 'citizen' },
      ],
    },
    { id: 'done', label: 'Rendez-vous honoré', colour: '#18753C', visibility: 'citizen', final: true, actions: [{ id: 'purge', kind: 'delete', delay: 'P1Y' }] },
    { id: 'missed', label: 'Absent au rendez-vous', colour: '#3A3A3A', visibility: 'citizen', final: true, actions: [{ id: 'purge-missed', kind: 'delete', delay: 'P1Y' }] },
    {
      id: 'declined',
      label: 'Rendez-vous refusé',
      colour: '#CE0500',
      visibility: 'citizen',
      final: true,
      actions: [
        {
          id: 'tell-declined',
          kind: 'notify_citizen',
          channels: ['email', 'portal'],
          subject: 'Votre demande de rendez-vous n’a pas pu être acceptée',
          body: 'Bonjour,\n\nNous ne pouvons pas donner suite à votre demande : {{action.comment}}',
        },
      ],
    },
    {
      id: 'cancelled',
      label: 'Annulé',
      colour: '#3A3A3A',
      visibility: 'citizen',
      final: true,
      actions: [{ id: 'tell-desk', kind: 'notify_agents', function: 'desk', subject: 'Rendez-vous annulé', body: 'Le rendez-vous {{demand.trackingCode}} est annulé.' }],
    },
  ],
};
