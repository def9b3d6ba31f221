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
