import type { DataSource } from 'typeorm';
import type { Clock } from '#core';
import { TeleserviceAuthoringService } from '#teleservices';

/** A fixture form (not in the demo catalogue): a repeatable block whose items each take a file. */
export const BLOCK_FILES_FORM = {
  schemaVersion: 1,
  title: 'Pièces par enfant',
  pages: [
    {
      id: 'pieces',
      title: 'Vos enfants',
      fields: [
        {
          id: 'enfants',
          type: 'block',
          label: 'Enfants',
          itemLabel: 'Enfant',
          required: true,
          minItems: 1,
          maxItems: 4,
          fields: [
            { id: 'prenom', type: 'text', label: 'Prénom', required: true },
            { id: 'certificat', type: 'file', label: 'Certificat médical', accept: ['image/png', 'image/jpeg'], maxFiles: 2, maxSizeBytes: 1024 * 1024 },
          ],
        },
        { id: 'email', type: 'email', label: 'Courriel pour vous répondre', required: true },
      ],
    },
  ],
};

/**
 * Publishes `BLOCK_FILES_FORM` as the next version of Givors' « Aide / contact » (anonymous allowed, the demo's
 * workflow kept); answers the form's address.
 */
export async function publishBlockFilesForm(db: DataSource, clock: Clock): Promise<string> {
  const [ts] = await db.query(`SELECT t.id, t.collectivity_id FROM teleservice t JOIN instance i ON i.id = t.instance_id WHERE i.slug = 'givors' AND t.slug = 'aide-contact'`);
  const [latest] = await db.query(`SELECT workflow, data_sources FROM teleservice_version WHERE teleservice_id = $1 AND state = 'published' ORDER BY number DESC LIMIT 1`, [ts.id]);
  const authoring = new TeleserviceAuthoringService(db, clock);
  const actor = { sub: 'agent-givors', collectivityId: ts.collectivity_id };
  await authoring.editDraft(actor, { teleserviceId: ts.id, form: BLOCK_FILES_FORM, workflow: latest.workflow, dataSources: latest.data_sources });
  await authoring.publish(actor, ts.id);
  return '/demarches/givors/aide-contact/formulaire';
}

/**
 * A fixture form for the storage housekeeping: a file field that a choice on the same page shows or hides.
 */
export const CONDITIONAL_FILE_FORM = {
  schemaVersion: 1,
  title: 'Pièce selon la réponse',
  pages: [
    {
      id: 'piece',
      title: 'Votre pièce',
      fields: [
        { id: 'avec_piece', type: 'choice', label: 'Joindre une pièce ?', display: 'radio', required: true, options: [{ value: 'oui', label: 'Oui' }, { value: 'non', label: 'Non' }] },
        { id: 'justificatif', type: 'file', label: 'Justificatif', accept: ['image/png', 'image/jpeg'], maxFiles: 1, maxSizeBytes: 1024 * 1024, condition: "field.avec_piece = 'oui'" },
        { id: 'email', type: 'email', label: 'Courriel pour vous répondre', required: true },
      ],
    },
  ],
};

/** The 42 streets of a fixture form's long list (more than 30: shown as a combobox). */
export const STREETS = Array.from({ length: 42 }, (_, i) => `${['Rue', 'Avenue', 'Place', 'Chemin', 'Quai', 'Impasse'][i % 6]} ${['des Lilas', 'Jean Jaurès', 'de la Mairie', 'du Rhône', 'Pasteur', 'Victor Hugo', 'des Écoles'][Math.floor(i / 6)]}`);

/** A fixture form with a long single choice shown « autocomplete » (a combobox with JavaScript, a list without). */
export const AUTOCOMPLETE_FORM = {
  schemaVersion: 1,
  title: 'Choix d’une voie',
  pages: [
    {
      id: 'voie',
      title: 'La voie concernée',
      fields: [
        { id: 'voie', type: 'choice', label: 'Voie', hint: 'La rue, l’avenue ou la place.', display: 'autocomplete', required: true, options: STREETS.map((label, i) => ({ value: `v${i}`, label })) },
        { id: 'email', type: 'email', label: 'Courriel pour vous répondre', required: true },
      ],
    },
  ],
};

/** Publishes a fixture form as the next version of Givors' « Aide / contact » (anonymous allowed); answers its address. */
export async function publishFixtureForm(db: DataSource, clock: Clock, form: Record<string, unknown>): Promise<string> {
  const [ts] = await db.query(`SELECT t.id, t.collectivity_id FROM teleservice t JOIN instance i ON i.id = t.instance_id WHERE i.slug = 'givors' AND t.slug = 'aide-contact'`);
  const [latest] = await db.query(`SELECT workflow, data_sources FROM teleservice_version WHERE teleservice_id = $1 AND state = 'published' ORDER BY number DESC LIMIT 1`, [ts.id]);
  const authoring = new TeleserviceAuthoringService(db, clock);
  const actor = { sub: 'agent-givors', collectivityId: ts.collectivity_id };
  await authoring.editDraft(actor, { teleserviceId: ts.id, form, workflow: latest.workflow, dataSources: latest.data_sources });
  await authoring.publish(actor, ts.id);
  return '/demarches/givors/aide-contact/formulaire';
}
