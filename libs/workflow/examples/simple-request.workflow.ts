import type { WorkflowDefinition } from '../definition/workflow-definition.schema.js';

/** A plain request: received → in progress → accepted or refused, the citizen told at each step. */
export const SIMPLE_REQUEST_WORKFLOW: WorkflowDefinition = {
  schemaVersion: 1,
  name: 'Demande simple',
  initialStatus: 'received',
  functions: [{ id: 'receiver', label: 'Agent instructeur' }],
  statuses: [
    {
      id: 'received',
      label: 'Demande reçue',
      colour: '#1F5FAD',
      visibility: 'citizen',
      final: false,
      agentHelp: 'Vérifiez que la demande relève de votre service, puis prenez-la en charge.',
      actions: [
        {
          id: 'ack',
          kind: 'notify_citizen',
          channels: ['email', 'portal'],
          subject: 'Votre demande {{demand.trackingCode}} a bien été reçue',
          body: 'Bonjour,\n\n{{collectivity.name}} a bien reçu votre demande {{demand.trackingCode}}.\nSuivez-la ici : {{demand.url}}\n\nCordialement.',
        },
        {
          id: 'alert-receivers',
          kind: 'notify_agents',
          function: 'receiver',
          subject: 'Nouvelle demande {{demand.trackingCode}}',
          body: 'Une nouvelle demande attend votre prise en charge : {{demand.url}}',
        },
        { id: 'take', kind: 'button', label: 'Prendre en charge', target: 'in_progress', functions: ['receiver'], bulkAllowed: true },
      ],
    },
    {
      id: 'in_progress',
      label: 'En cours d’instruction',
      colour: '#B34700',
      visibility: 'citizen',
      final: false,
      actions: [
        { id: 'accept', kind: 'button', label: 'Accepter', target: 'accepted', functions: ['receiver'], confirm: 'Accepter définitivement cette demande ?' },
        {
          id: 'refuse',
          kind: 'button',
          label: 'Refuser',
          target: 'refused',
          functions: ['receiver'],
          confirm: 'Refuser définitivement cette demande ?',
          commentRequired: true,
          commentVisibility: 'citizen',
        },
        {
          id: 'ask-info',
          kind: 'request_info',
          label: 'Demander un complément',
          functions: ['receiver'],
          commentRequired: true,
          message: 'Bonjour,\n\nPour instruire votre demande {{demand.trackingCode}}, nous avons besoin de précisions :\n{{action.comment}}\n\nRépondez ici : {{demand.url}}',
          waitingStatus: 'awaiting_info',
          resumeStatus: 'in_progress',
        },
      ],
    },
    { id: 'awaiting_info', label: 'En attente de votre réponse', colour: '#6E445A', visibility: 'citizen', final: false, actions: [] },
    {
      id: 'accepted',
      label: 'Acceptée',
      colour: '#18753C',
      visibility: 'citizen',
      final: true,
      actions: [
        {
          id: 'tell-accepted',
          kind: 'notify_citizen',
          channels: ['email', 'portal'],
          subject: 'Votre demande {{demand.trackingCode}} est acceptée',
          body: 'Bonjour,\n\nVotre demande {{demand.trackingCode}} a été acceptée par {{collectivity.name}}.',
        },
      ],
    },
    {
      id: 'refused',
      label: 'Refusée',
      colour: '#CE0500',
      visibility: 'citizen',
      final: true,
      actions: [
        {
          id: 'tell-refused',
          kind: 'notify_citizen',
          channels: ['email', 'portal'],
          subject: 'Votre demande {{demand.trackingCode}} n’a pas pu être acceptée',
          body: 'Bonjour,\n\nVotre demande {{demand.trackingCode}} a été refusée pour le motif suivant :\n{{action.comment}}',
        },
      ],
    },
  ],
};
