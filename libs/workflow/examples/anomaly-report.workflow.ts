import type { WorkflowDefinition } from '../definition/workflow-definition.schema.js';

/**
 * Reporting an anomaly in public space (a mutualised téléservice: `receiver` and `technician` map to
 * the competent commune's roles). The commune may ask the reporter for details (closed after 30 days
 * without an answer), its own GRU may close the intervention through the API, and a resolved report is
 * closed and anonymised after 30 days unless reopened. Conditions use the forms language (`field.x`).
 */
export const ANOMALY_REPORT_WORKFLOW: WorkflowDefinition = {
  schemaVersion: 1,
  name: 'Signalement d’anomalie sur l’espace public',
  initialStatus: 'new',
  functions: [
    { id: 'receiver', label: 'Référent signalements de la commune' },
    { id: 'technician', label: 'Services techniques' },
  ],
  backofficeFields: [
    { id: 'priorite', label: 'Priorité' },
    { id: 'service', label: 'Service en charge' },
  ],
  statuses: [
    {
      id: 'new',
      label: 'Signalement reçu',
      colour: '#1F5FAD',
      visibility: 'citizen',
      final: false,
      agentHelp: 'Qualifiez le signalement ou demandez des précisions au déclarant.',
      actions: [
        {
          id: 'ack',
          kind: 'notify_citizen',
          channels: ['email', 'portal'],
          subject: 'Signalement {{demand.trackingCode}} reçu',
          body: 'Bonjour,\n\nVotre signalement a été transmis à {{collectivity.name}}, qui le traitera.\nSuivi : {{demand.url}}',
        },
        {
          id: 'route',
          kind: 'assign',
          to: { function: 'receiver' },
          rules: [{ condition: "field.categorie in ['eclairage', 'voirie']", to: { function: 'technician' } }],
        },
        {
          id: 'alert',
          kind: 'notify_agents',
          function: 'receiver',
          subject: 'Nouveau signalement {{demand.trackingCode}} ({{form.categorie}})',
          body: 'Nouveau signalement : {{form.description}}\n{{demand.url}}',
        },
        { id: 'qualify', kind: 'button', label: 'Programmer une intervention', target: 'in_progress', functions: ['receiver', 'technician'], bulkAllowed: true },
        {
          id: 'ask-details',
          kind: 'request_info',
          label: 'Demander des précisions',
          functions: ['receiver'],
          commentRequired: true,
          channels: ['email', 'sms', 'portal'],
          message: 'Bonjour,\n\nPour traiter votre signalement {{demand.trackingCode}}, merci de préciser : {{action.comment}}\n{{demand.url}}',
          waitingStatus: 'awaiting_details',
          resumeStatus: 'new',
        },
        {
          id: 'reject',
          kind: 'button',
          label: 'Ne pas donner suite',
          target: 'rejected',
          functions: ['receiver'],
          commentRequired: true,
          commentVisibility: 'citizen',
          confirm: 'Classer ce signalement sans suite ?',
        },
      ],
    },
    {
      id: 'awaiting_details',
      label: 'Précisions demandées',
      colour: '#6E445A',
      visibility: 'citizen',
      final: false,
      actions: [{ id: 'no-answer', kind: 'auto_jump', trigger: { afterDelay: 'P30D' }, target: 'closed_no_answer' }],
    },
    {
      id: 'in_progress',
      label: 'Intervention programmée',
      colour: '#B34700',
      visibility: 'citizen',
      final: false,
      actions: [
        {
          id: 'priority',
          kind: 'set_backoffice_fields',
          fields: [
            { field: 'priorite', value: '{{#if form.danger}}haute{{else}}normale{{/if}}' },
            { field: 'service', value: '{{form.categorie}}' },
          ],
        },
        { id: 'note', kind: 'comment', visibility: 'citizen', text: 'Une intervention est programmée par {{collectivity.name}}.' },
        { id: 'gru-done', kind: 'auto_jump', trigger: { apiTrigger: 'intervention-terminee' }, target: 'resolved' },
        { id: 'resolve', kind: 'button', label: 'Marquer comme résolu', target: 'resolved', functions: ['receiver', 'technician'], bulkAllowed: true },
      ],
    },
    {
      id: 'resolved',
      label: 'Résolu',
      colour: '#18753C',
      visibility: 'citizen',
      final: false,
      actions: [
        {
          id: 'tell-resolved',
          kind: 'notify_citizen',
          channels: ['email', 'portal'],
          subject: 'Signalement {{demand.trackingCode}} résolu',
          body: 'Bonjour,\n\nL’anomalie que vous avez signalée a été traitée. Merci de votre signalement.',
        },
        { id: 'auto-close', kind: 'auto_jump', trigger: { afterDelay: 'P30D' }, target: 'closed' },
        { id: 'reopen', kind: 'button', label: 'Rouvrir', target: 'in_progress', functions: ['receiver'], commentRequired: true },
      ],
    },
    {
      id: 'closed',
      label: 'Clôturé',
      colour: '#3A3A3A',
      visibility: 'citizen',
      final: true,
      actions: [{ id: 'forget', kind: 'anonymise' }],
    },
    {
      id: 'closed_no_answer',
      label: 'Clôturé faute de réponse',
      colour: '#3A3A3A',
      visibility: 'citizen',
      final: true,
      actions: [
        {
          id: 'tell-no-answer',
          kind: 'notify_citizen',
          channels: ['email', 'portal'],
          subject: 'Signalement {{demand.trackingCode}} clôturé',
          body: 'Bonjour,\n\nSans réponse de votre part depuis 30 jours, votre signalement a été clôturé. Vous pouvez en déposer un nouveau.',
        },
        { id: 'forget-no-answer', kind: 'anonymise' },
      ],
    },
    {
      id: 'rejected',
      label: 'Sans suite',
      colour: '#CE0500',
      visibility: 'citizen',
      final: true,
      actions: [
        {
          id: 'tell-rejected',
          kind: 'notify_citizen',
          channels: ['email', 'portal'],
          subject: 'Signalement {{demand.trackingCode}} classé sans suite',
          body: 'Bonjour,\n\nVotre signalement a été classé sans suite : {{action.comment}}',
        },
      ],
    },
  ],
};
