import { PREFILL_ATTRIBUTES, TEXT_FORMATS } from '#forms';
import { DOCUMENT_MODELS } from '#demands';
import { CUSTOM_DOCUMENT } from '#workflow';
import { isRecord, type InputSpec } from './builder-inputs.js';

/** Field types of the form schema (libs/forms/definition/definition.schema.ts), in French. */
export const FIELD_TYPE_LABELS: Record<string, string> = {
  text: 'Texte court',
  long_text: 'Texte long',
  email: 'Adresse électronique',
  number: 'Nombre',
  date: 'Date',
  checkbox: 'Case à cocher',
  yes_no: 'Oui / non',
  choice: 'Choix unique',
  multiple_choice: 'Choix multiples',
  data_source: 'Liste issue d’une source de données',
  address: 'Adresse',
  map_point: 'Point sur une carte',
  commune: 'Commune',
  file: 'Fichier(s) joint(s)',
  computed: 'Valeur calculée',
  block: 'Bloc répétable (sous-champs)',
  title: 'Titre (affichage)',
  subtitle: 'Sous-titre (affichage)',
  comment: 'Texte explicatif (affichage)',
};

const DISPLAY = new Set(['title', 'subtitle', 'comment']);

const yesNo = (path: string, label: string, hint?: string): InputSpec => ({ path, label, kind: 'bool', hint });
const DISPLAY_CHOICES = [
  { value: '', label: 'Par défaut' },
  { value: 'radio', label: 'Boutons radio' },
  { value: 'list', label: 'Liste déroulante' },
  { value: 'autocomplete', label: 'Liste avec recherche' },
];
const FORMAT_LABELS: Record<string, string> = {
  digits: 'Chiffres uniquement',
  phone_fr: 'Téléphone (France)',
  postcode_fr: 'Code postal (France)',
  siret: 'SIRET',
  siren: 'SIREN',
  iban: 'IBAN',
  nir: 'Numéro de sécurité sociale',
  regex: 'Expression régulière (ci-dessous)',
};
const PREFILL_LABELS: Record<string, string> = {
  given_name: 'Prénom',
  family_name: 'Nom',
  email: 'Adresse électronique',
  phone: 'Téléphone',
  birthdate: 'Date de naissance',
  birthplace: 'Lieu de naissance',
  gender: 'Genre',
  address: 'Adresse',
};

const CONDITION_HINT = 'Facultatif. Affiché seulement si la condition est vraie, ex. : motif = "autre".';

/** The inputs of a field of this type (common ones first, then the type's own options). */
export function fieldSpecs(type: string): InputSpec[] {
  const specs: InputSpec[] = [
    { path: 'id', label: 'Identifiant', kind: 'text', keepEmpty: true, hint: 'Minuscules, chiffres et « _ », commençant par une lettre (ex. nom_famille). Stable d’une version à l’autre.' },
    {
      path: 'label',
      label: DISPLAY.has(type) ? 'Texte affiché' : 'Libellé',
      kind: type === 'comment' ? 'multiline' : 'text',
      keepEmpty: true,
    },
  ];
  if (!DISPLAY.has(type) && type !== 'computed') {
    specs.push(
      { path: 'hint', label: 'Aide', kind: 'text', hint: 'Facultatif. Affichée sous le libellé.' },
      yesNo('required', 'Réponse obligatoire'),
    );
  }
  specs.push({ path: 'condition', label: 'Condition d’affichage', kind: 'text', hint: CONDITION_HINT });
  if (!DISPLAY.has(type) && type !== 'computed' && type !== 'block') {
    specs.push(
      {
        path: 'prefill.attribute',
        label: 'Pré-remplir depuis le profil de l’usager',
        kind: 'select',
        choices: [{ value: '', label: 'Non' }, ...PREFILL_ATTRIBUTES.map((a) => ({ value: a, label: PREFILL_LABELS[a] ?? a }))],
      },
      yesNo('prefill.lockedWhenCertified', 'Non modifiable quand la valeur du profil est certifiée (FranceConnect)'),
    );
  }
  if (!DISPLAY.has(type)) {
    specs.push(
      yesNo('inListings', 'Afficher dans les listes de demandes'),
      yesNo('inSummary', 'Afficher dans le récapitulatif'),
      yesNo('personalData', 'Donnée personnelle', 'Effacée lors de l’anonymisation.'),
    );
  }
  switch (type) {
    case 'text':
      specs.push(
        { path: 'format', label: 'Format', kind: 'select', choices: [{ value: '', label: 'Libre' }, ...TEXT_FORMATS.map((f) => ({ value: f, label: FORMAT_LABELS[f] ?? f }))] },
        { path: 'pattern', label: 'Expression régulière', kind: 'text', hint: 'Avec le format « Expression régulière » : la valeur doit y correspondre entièrement.' },
        { path: 'patternMessage', label: 'Message si la valeur ne correspond pas', kind: 'text' },
        { path: 'minLength', label: 'Longueur minimale', kind: 'int' },
        { path: 'maxLength', label: 'Longueur maximale', kind: 'int', hint: '255 par défaut.' },
      );
      break;
    case 'long_text':
      specs.push({ path: 'minLength', label: 'Longueur minimale', kind: 'int' }, { path: 'maxLength', label: 'Longueur maximale', kind: 'int', hint: '10 000 par défaut.' });
      break;
    case 'number':
      specs.push(
        { path: 'mode', label: 'Nombre', kind: 'select', choices: [{ value: '', label: 'Décimal' }, { value: 'integer', label: 'Entier' }] },
        { path: 'min', label: 'Minimum', kind: 'number' },
        { path: 'max', label: 'Maximum', kind: 'number' },
        { path: 'step', label: 'Pas', kind: 'number' },
      );
      break;
    case 'date':
      specs.push(
        { path: 'min', label: 'Date minimale', kind: 'text', hint: 'AAAA-MM-JJ.' },
        { path: 'max', label: 'Date maximale', kind: 'text', hint: 'AAAA-MM-JJ.' },
        yesNo('past', 'Date passée uniquement'),
        yesNo('future', 'Date future uniquement'),
      );
      break;
    case 'choice':
      specs.push(
        { path: 'display', label: 'Présentation', kind: 'select', choices: DISPLAY_CHOICES },
        { path: 'options', label: 'Choix proposés', kind: 'options', hint: 'Un choix par ligne : « valeur | libellé », ou seulement le libellé.' },
      );
      break;
    case 'multiple_choice':
      specs.push(
        { path: 'options', label: 'Choix proposés', kind: 'options', hint: 'Un choix par ligne : « valeur | libellé », ou seulement le libellé.' },
        { path: 'minSelections', label: 'Nombre minimal de choix', kind: 'int' },
        { path: 'maxSelections', label: 'Nombre maximal de choix', kind: 'int' },
      );
      break;
    case 'data_source':
      specs.push(
        { path: 'display', label: 'Présentation', kind: 'select', choices: DISPLAY_CHOICES },
        {
          path: 'source.kind',
          label: 'Source',
          kind: 'select',
          choices: [
            { value: 'static', label: 'Liste fixe (ci-dessous)' },
            { value: 'url', label: 'Adresse JSON (déclarée dans les sources de données)' },
            { value: 'collectivities', label: 'Collectivités du territoire' },
          ],
        },
        { path: 'source.options', label: 'Liste fixe', kind: 'options', hint: 'Avec « Liste fixe » : un choix par ligne, « valeur | libellé ».' },
        { path: 'source.url', label: 'Adresse JSON', kind: 'text', hint: 'Avec « Adresse JSON » : https://…' },
        { path: 'source.itemsPath', label: 'Chemin de la liste dans la réponse', kind: 'text', hint: 'Facultatif, ex. data.items.' },
        { path: 'source.valuePath', label: 'Chemin de la valeur', kind: 'text' },
        { path: 'source.labelPath', label: 'Chemin du libellé', kind: 'text' },
      );
      break;
    case 'address':
      specs.push(yesNo('withinCommunes', 'Adresse dans les communes du territoire'), yesNo('requirePoint', 'Coordonnées (latitude, longitude) obligatoires'));
      break;
    case 'map_point':
      specs.push(
        { path: 'bounds.south', label: 'Limite sud (latitude)', kind: 'number', hint: 'Facultatif : les quatre limites ensemble.' },
        { path: 'bounds.west', label: 'Limite ouest (longitude)', kind: 'number' },
        { path: 'bounds.north', label: 'Limite nord (latitude)', kind: 'number' },
        { path: 'bounds.east', label: 'Limite est (longitude)', kind: 'number' },
      );
      break;
    case 'file':
      specs.push(
        { path: 'accept', label: 'Types de fichiers acceptés', kind: 'lines', keepEmpty: true, hint: 'Un type MIME par ligne, ex. application/pdf, image/*.' },
        { path: 'maxSizeBytes', label: 'Taille maximale par fichier (Mo)', kind: 'mebibytes', hint: '10 Mo par défaut.' },
        { path: 'minFiles', label: 'Nombre minimal de fichiers', kind: 'int' },
        { path: 'maxFiles', label: 'Nombre maximal de fichiers', kind: 'int', hint: '1 par défaut.' },
      );
      break;
    case 'computed':
      specs.push({ path: 'template', label: 'Modèle de la valeur', kind: 'text', keepEmpty: true, hint: 'Ex. {{ field.prenom }} {{ field.nom }}.' });
      break;
    case 'block':
      specs.push(
        { path: 'itemLabel', label: 'Libellé d’un élément', kind: 'text', hint: 'Ex. Enfant.' },
        { path: 'minItems', label: 'Nombre minimal d’éléments', kind: 'int' },
        { path: 'maxItems', label: 'Nombre maximal d’éléments', kind: 'int', hint: '20 par défaut.' },
      );
      break;
  }
  return specs;
}

/** A new field of a type, valid as far as possible (the person edits it next). */
export function newField(type: string, id: string): Record<string, unknown> {
  const base: Record<string, unknown> = { type, id, label: 'Nouveau champ' };
  switch (type) {
    case 'choice':
    case 'multiple_choice':
      return { ...base, options: [{ value: 'oui', label: 'Oui' }, { value: 'non', label: 'Non' }] };
    case 'data_source':
      return { ...base, source: { kind: 'collectivities' } };
    case 'file':
      return { ...base, accept: ['application/pdf', 'image/*'] };
    case 'computed':
      return { ...base, template: '' };
    case 'block':
      return { ...base, fields: [{ type: 'text', id: 'valeur', label: 'Valeur' }] };
    default:
      return base;
  }
}

/** Removes what the inputs leave half-set: an empty prefill, incomplete bounds, options of another source kind. */
export function tidyField(field: Record<string, unknown>): void {
  const prefill = field.prefill as Record<string, unknown> | undefined;
  if (prefill) {
    if (!prefill.attribute) delete field.prefill;
    else field.prefill = { from: 'profile', attribute: prefill.attribute, ...(prefill.lockedWhenCertified ? { lockedWhenCertified: true } : {}) };
  }
  const bounds = field.bounds as Record<string, unknown> | undefined;
  if (bounds && Object.keys(bounds).length === 0) delete field.bounds;
  const source = field.source as Record<string, unknown> | undefined;
  if (source) {
    if (source.kind === 'static') field.source = { kind: 'static', options: source.options ?? [] };
    else if (source.kind === 'collectivities') field.source = { kind: 'collectivities' };
    else if (source.kind === 'url') {
      const { options: _options, ...rest } = source;
      void _options;
      field.source = rest;
    }
  }
}

export const ACTION_KIND_LABELS: Record<string, string> = {
  button: 'Bouton de changement de statut',
  notify_citizen: 'Notifier l’usager',
  request_info: 'Demander un complément à l’usager',
  auto_jump: 'Changement de statut automatique',
  notify_agents: 'Notifier les agents d’une fonction',
  comment: 'Ajouter un commentaire',
  assign: 'Attribuer la demande',
  attach_document: 'Joindre un document',
  set_backoffice_fields: 'Renseigner des champs de gestion',
  webservice: 'Appeler un service web',
  create_child_demand: 'Créer une demande liée',
  anonymise: 'Anonymiser la demande',
  delete: 'Supprimer la demande après un délai',
};

/** Kinds edited field by field; the others are edited as JSON (their options are technical). */
export const FORM_ACTION_KINDS = new Set(['button', 'notify_citizen', 'request_info', 'auto_jump', 'notify_agents', 'comment', 'attach_document']);

const CHANNELS = [
  { value: 'email', label: 'Courriel' },
  { value: 'sms', label: 'SMS' },
  { value: 'portal', label: 'Espace usager du portail' },
];
const VISIBILITY = [
  { value: 'internal', label: 'Agents seulement' },
  { value: 'citizen', label: 'Usager aussi' },
];

export interface WorkflowChoices {
  statuses: { value: string; label: string }[];
  functions: { value: string; label: string }[];
}

const DOCUMENT_HINT =
  'Document rédigé seulement. Variables : {{demand.trackingCode}}, {{date demand.submittedAt}}, {{demand.statusLabel}}, {{collectivity.name}}, {{form.identifiant}} ; ' +
  '{{#if form.x}}…{{/if}}. Mise en page : une ligne vide sépare les paragraphes ; « # Titre », « ## Sous-titre » et « **ligne en gras** » (ou <h1>, <h2>, <b>).';
const TEMPLATE_HINT = 'Variables : {{demand.trackingCode}}, {{demand.url}}, {{collectivity.name}}, {{action.comment}}, {{field.identifiant}}.';

/** The inputs of an action of this kind; `trigger.*` inputs of an automatic jump are read by `tidyAction`. */
export function actionSpecs(kind: string, choices: WorkflowChoices): InputSpec[] {
  const specs: InputSpec[] = [{ path: 'id', label: 'Identifiant de l’action', kind: 'text', keepEmpty: true, hint: 'Minuscules, chiffres, « - » ou « _ ».' }];
  const status = (path: string, label: string): InputSpec => ({ path, label, kind: 'select', keepEmpty: true, choices: [{ value: '', label: '— choisir —' }, ...choices.statuses] });
  const functions: InputSpec = { path: 'functions', label: 'Fonctions des agents qui peuvent l’utiliser', kind: 'checkboxes', keepEmpty: true, choices: choices.functions };
  switch (kind) {
    case 'button':
      specs.push(
        { path: 'label', label: 'Libellé du bouton', kind: 'text', keepEmpty: true },
        status('target', 'Statut d’arrivée'),
        functions,
        yesNo('byCitizen', 'L’usager peut aussi l’utiliser'),
        { path: 'confirm', label: 'Question de confirmation', kind: 'text', hint: 'Facultatif, ex. Accepter définitivement cette demande ?' },
        yesNo('commentRequired', 'Commentaire obligatoire'),
        { path: 'commentVisibility', label: 'Le commentaire est vu par', kind: 'select', choices: [{ value: '', label: 'Agents seulement (par défaut)' }, VISIBILITY[1]] },
        yesNo('bulkAllowed', 'Utilisable sur une sélection de demandes'),
      );
      break;
    case 'notify_citizen':
      specs.push(
        { path: 'channels', label: 'Canaux', kind: 'checkboxes', keepEmpty: true, choices: CHANNELS },
        { path: 'subject', label: 'Objet', kind: 'text', keepEmpty: true },
        { path: 'body', label: 'Message', kind: 'multiline', keepEmpty: true, hint: TEMPLATE_HINT },
      );
      break;
    case 'request_info':
      specs.push(
        { path: 'label', label: 'Libellé du bouton', kind: 'text', keepEmpty: true },
        functions,
        { path: 'subject', label: 'Objet', kind: 'text' },
        { path: 'message', label: 'Message à l’usager', kind: 'multiline', keepEmpty: true, hint: TEMPLATE_HINT },
        { path: 'channels', label: 'Canaux', kind: 'checkboxes', choices: CHANNELS },
        yesNo('commentRequired', 'Commentaire de l’agent obligatoire'),
        status('waitingStatus', 'Statut pendant l’attente de la réponse'),
        status('resumeStatus', 'Statut à la réponse de l’usager'),
      );
      break;
    case 'auto_jump':
      specs.push(
        {
          path: 'trigger.kind',
          label: 'Déclenchement',
          kind: 'select',
          keepEmpty: true,
          choices: [
            { value: 'afterDelay', label: 'Après un délai' },
            { value: 'atDateField', label: 'À la date d’un champ du formulaire' },
            { value: 'immediate', label: 'Immédiatement' },
          ],
        },
        { path: 'trigger.afterDelay', label: 'Délai', kind: 'text', hint: 'Durée ISO-8601 : P30D (30 jours), PT2H (2 heures), P1M (1 mois).' },
        { path: 'trigger.atDateField', label: 'Champ date', kind: 'text', hint: 'Identifiant d’un champ date du formulaire.' },
        { path: 'trigger.offset', label: 'Décalage', kind: 'text', hint: 'Facultatif, ex. -P1D (la veille).' },
        status('target', 'Statut d’arrivée'),
      );
      break;
    case 'notify_agents':
      specs.push(
        { path: 'function', label: 'Fonction notifiée', kind: 'select', keepEmpty: true, choices: [{ value: '', label: '— choisir —' }, ...choices.functions] },
        { path: 'subject', label: 'Objet', kind: 'text', keepEmpty: true },
        { path: 'body', label: 'Message', kind: 'multiline', keepEmpty: true, hint: TEMPLATE_HINT },
      );
      break;
    case 'comment':
      specs.push({ path: 'visibility', label: 'Visible par', kind: 'select', keepEmpty: true, choices: VISIBILITY }, { path: 'text', label: 'Texte', kind: 'multiline', keepEmpty: true, hint: TEMPLATE_HINT });
      break;
    case 'attach_document':
      specs.push(
        {
          path: 'documentTemplate',
          label: 'Document',
          kind: 'select',
          keepEmpty: true,
          choices: [{ value: CUSTOM_DOCUMENT, label: 'Document rédigé ci-dessous' }, ...Object.entries(DOCUMENT_MODELS).map(([value, model]) => ({ value, label: `Modèle du moteur : ${model.title}` }))],
          hint: 'Choisir un modèle du moteur efface le document rédigé ci-dessous.',
        },
        { path: 'filename', label: 'Nom du fichier', kind: 'text', keepEmpty: true, hint: 'Ex. attestation-{{demand.trackingCode}}.pdf.' },
        { path: 'visibility', label: 'Visible par', kind: 'select', keepEmpty: true, choices: VISIBILITY },
        { path: 'template.title', label: 'Titre du document', kind: 'text', hint: 'Document rédigé seulement. Ex. Attestation de dépôt.' },
        { path: 'template.body', label: 'Texte du document', kind: 'multiline', hint: DOCUMENT_HINT },
      );
      break;
    default:
      specs.push({ path: 'options', label: 'Options de l’action (JSON)', kind: 'json', hint: 'Propriétés de l’action hors « id », « kind » et « condition ».' });
  }
  specs.push({ path: 'condition', label: 'Condition', kind: 'text', hint: 'Facultatif. L’action ne s’applique que si la condition est vraie.' });
  return specs;
}

/** The editing view of an action: an automatic jump's trigger spread over inputs, other kinds' options as JSON. */
export function actionForEditing(action: Record<string, unknown>): Record<string, unknown> {
  if (action.kind === 'auto_jump') {
    const trigger = action.trigger;
    const spread =
      trigger === 'immediate'
        ? { kind: 'immediate' }
        : trigger && typeof trigger === 'object'
          ? { kind: 'afterDelay' in trigger ? 'afterDelay' : 'atDateField', ...(trigger as Record<string, unknown>) }
          : { kind: 'afterDelay' };
    return { ...action, trigger: spread };
  }
  if (FORM_ACTION_KINDS.has(String(action.kind))) return action;
  const { id, kind, condition, ...options } = action;
  return { id, kind, condition, options };
}

/** Back from the editing view to the definition's shape. */
export function tidyAction(edited: Record<string, unknown>): Record<string, unknown> {
  if (edited.kind === 'auto_jump') {
    const trigger = (edited.trigger ?? {}) as Record<string, unknown>;
    const delay = typeof trigger.afterDelay === 'string' && /^\d+$/.test(trigger.afterDelay) ? Number(trigger.afterDelay) : trigger.afterDelay;
    edited.trigger =
      trigger.kind === 'immediate'
        ? 'immediate'
        : trigger.kind === 'atDateField'
          ? { atDateField: trigger.atDateField ?? '', ...(trigger.offset ? { offset: trigger.offset } : {}) }
          : { afterDelay: delay ?? '' };
    return edited;
  }
  if (edited.kind === 'attach_document') {
    // The written document is kept only with « Document rédigé ci-dessous »; empty inputs leave no half-set template.
    const template = isRecord(edited.template) ? edited.template : {};
    if (edited.documentTemplate !== CUSTOM_DOCUMENT || (!template.title && !template.body)) delete edited.template;
    else edited.template = { title: template.title ?? '', body: template.body ?? '' };
    return edited;
  }
  if (FORM_ACTION_KINDS.has(String(edited.kind))) return edited;
  const { id, kind, condition, options } = edited;
  return { id, kind, ...(condition ? { condition } : {}), ...(options && typeof options === 'object' ? (options as Record<string, unknown>) : {}) };
}

/** A new action of a kind, with the first statuses and functions of the workflow as defaults. */
export function newAction(kind: string, id: string, choices: WorkflowChoices): Record<string, unknown> {
  const target = choices.statuses[0]?.value ?? '';
  const functions = choices.functions.slice(0, 1).map((f) => f.value);
  switch (kind) {
    case 'button':
      return { id, kind, label: 'Nouveau bouton', target, functions };
    case 'notify_citizen':
      return { id, kind, channels: ['email', 'portal'], subject: 'Votre demande {{demand.trackingCode}}', body: 'Bonjour,\n\n' };
    case 'request_info':
      return { id, kind, label: 'Demander un complément', functions, message: 'Bonjour,\n\n{{action.comment}}\n\nRépondez ici : {{demand.url}}', waitingStatus: target, resumeStatus: target };
    case 'auto_jump':
      return { id, kind, trigger: { afterDelay: 'P30D' }, target };
    case 'notify_agents':
      return { id, kind, function: functions[0] ?? '', subject: 'Demande {{demand.trackingCode}}', body: '{{demand.url}}' };
    case 'comment':
      return { id, kind, visibility: 'internal', text: 'Commentaire' };
    case 'attach_document':
      return {
        id,
        kind,
        documentTemplate: CUSTOM_DOCUMENT,
        filename: 'document-{{demand.trackingCode}}.pdf',
        visibility: 'citizen',
        template: { title: 'Document', body: '# Demande {{demand.trackingCode}}\n\nDéposée le {{date demand.submittedAt}} auprès de {{collectivity.name}}.\n' },
      };
    case 'anonymise':
      return { id, kind };
    case 'delete':
      return { id, kind, delay: 'P1Y' };
    default:
      return { id, kind };
  }
}

export const STATUS_SPECS: InputSpec[] = [
  { path: 'id', label: 'Identifiant du statut', kind: 'text', keepEmpty: true, hint: 'Minuscules, chiffres, « - » ou « _ ».' },
  { path: 'label', label: 'Libellé', kind: 'text', keepEmpty: true },
  { path: 'colour', label: 'Couleur', kind: 'text', keepEmpty: true, hint: '#RRGGBB, ex. #1F5FAD.' },
  { path: 'visibility', label: 'Visible par l’usager', kind: 'visibility' },
  { path: 'final', label: 'Statut final (la demande est close)', kind: 'bool', keepEmpty: true },
  { path: 'agentHelp', label: 'Aide pour les agents', kind: 'multiline' },
];

/** A declared external data source (`version.dataSources[i]`): what the engine may fetch for a `data_source` field. */
export const DATA_SOURCE_SPECS: InputSpec[] = [
  { path: 'id', label: 'Identifiant de la source', kind: 'text', keepEmpty: true, hint: 'Minuscules, chiffres, « - » ou « _ ».' },
  { path: 'label', label: 'Libellé', kind: 'text', keepEmpty: true },
  { path: 'source.url', label: 'Adresse JSON', kind: 'text', keepEmpty: true, hint: 'https://… — la même adresse que celle du champ qui l’utilise.' },
  { path: 'source.itemsPath', label: 'Chemin de la liste dans la réponse', kind: 'text', hint: 'Facultatif, ex. data.items.' },
  { path: 'source.valuePath', label: 'Chemin de la valeur', kind: 'text', keepEmpty: true, hint: 'Ex. code.' },
  { path: 'source.labelPath', label: 'Chemin du libellé', kind: 'text', keepEmpty: true, hint: 'Ex. nom.' },
  { path: 'source.cacheSeconds', label: 'Durée de cache (secondes)', kind: 'int', hint: '300 par défaut.' },
  { path: 'source.timeoutMs', label: 'Délai maximal de réponse (millisecondes)', kind: 'int', hint: '5000 par défaut.' },
];
