import type { DataSource } from 'typeorm';
import { ApiKeyRepository, TeleserviceRepository, type ApiKeyScope, type Teleservice, type TeleserviceVersion } from '#teleservices';

/**
 * Test and benchmark data for the engine API: the metropolis and Givors with a production instance each, a
 * metropolitan téléservice (form with a condition and a file field, a workflow with buttons, a request for
 * information, an API trigger and a timer), a mutualised anomaly report routed by map point, API keys.
 */
export const T0 = new Date('2026-01-15T09:00:00.000Z');

export const TEST_FORM = {
  schemaVersion: 1,
  title: 'Demande simple',
  pages: [
    {
      id: 'demande',
      title: 'Votre demande',
      fields: [
        { id: 'nom', type: 'text', label: 'Nom', required: true, maxLength: 100, personalData: true },
        { id: 'courriel', type: 'email', label: 'Courriel', required: true, personalData: true },
        {
          id: 'motif',
          type: 'choice',
          label: 'Motif',
          required: true,
          display: 'radio',
          options: [
            { value: 'bruit', label: 'Bruit' },
            { value: 'autre', label: 'Autre' },
          ],
        },
        { id: 'precision', type: 'long_text', label: 'Précisez', required: true, maxLength: 500, condition: "field.motif = 'autre'" },
        { id: 'date_faits', type: 'date', label: 'Date des faits', past: true },
        { id: 'justificatif', type: 'file', label: 'Justificatif', accept: ['application/pdf', 'image/*'], maxSizeBytes: 2048, maxFiles: 2 },
      ],
    },
  ],
};

export const TEST_WORKFLOW = {
  schemaVersion: 1,
  name: 'Demande simple (tests)',
  initialStatus: 'received',
  functions: [{ id: 'receiver', label: 'Agent instructeur' }],
  statuses: [
    {
      id: 'received',
      label: 'Demande reçue',
      colour: '#1F5FAD',
      visibility: 'citizen',
      final: false,
      actions: [
        {
          id: 'ack',
          kind: 'notify_citizen',
          channels: ['email', 'portal'],
          subject: 'Votre demande {{demand.trackingCode}} a bien été reçue',
          body: 'Bonjour,\n\n{{collectivity.name}} a bien reçu votre demande.',
        },
        { id: 'take', kind: 'button', label: 'Prendre en charge', target: 'in_progress', functions: ['receiver'] },
        { id: 'gru-ack', kind: 'auto_jump', target: 'in_progress', trigger: { apiTrigger: 'prise-en-charge' } },
      ],
    },
    {
      id: 'in_progress',
      label: 'En cours d’instruction',
      colour: '#B34700',
      visibility: 'citizen',
      final: false,
      actions: [
        { id: 'accept', kind: 'button', label: 'Accepter', target: 'accepted', functions: ['receiver'], confirm: 'Accepter définitivement ?' },
        { id: 'refuse', kind: 'button', label: 'Refuser', target: 'refused', functions: ['receiver'], commentRequired: true, commentVisibility: 'citizen' },
        {
          id: 'ask-info',
          kind: 'request_info',
          label: 'Demander un complément',
          functions: ['receiver'],
          commentRequired: true,
          message: 'Nous avons besoin de précisions :\n{{action.comment}}',
          waitingStatus: 'awaiting_info',
          resumeStatus: 'in_progress',
        },
      ],
    },
    {
      id: 'awaiting_info',
      label: 'En attente de votre réponse',
      colour: '#6E445A',
      visibility: 'citizen',
      final: false,
      actions: [{ id: 'relance', kind: 'auto_jump', target: 'refused', trigger: { afterDelay: 'P30D' } }],
    },
    { id: 'accepted', label: 'Acceptée', colour: '#18753C', visibility: 'citizen', final: true, actions: [] },
    { id: 'refused', label: 'Refusée', colour: '#CE0500', visibility: 'citizen', final: true, actions: [] },
  ],
};

export const ANOMALY_FORM = {
  schemaVersion: 1,
  title: 'Signaler une anomalie',
  pages: [
    {
      id: 'lieu_page',
      title: 'Lieu',
      fields: [
        { id: 'lieu', type: 'map_point', label: 'Emplacement', required: true },
        { id: 'description', type: 'long_text', label: 'Description', required: true, maxLength: 2000 },
      ],
    },
  ],
};

export interface EngineSeed {
  metropolisId: string;
  givorsId: string;
  simple: Teleservice;
  simpleV1: TeleserviceVersion;
  anomaly: Teleservice;
  /** demands:read/write + teleservices:read on the metropolis. */
  key: string;
  keyId: string;
  /** Same scopes, Givors. */
  givorsKey: string;
  /** teleservices:read + demands:read only. */
  readOnlyKey: string;
  /** Revoked. */
  revokedKey: string;
  publish(teleservice: Teleservice, form: unknown, workflow: unknown, now?: Date): Promise<TeleserviceVersion>;
}

const ALL: ApiKeyScope[] = ['teleservices:read', 'demands:read', 'demands:write'];

export async function seedEngine(dataSource: DataSource, now = T0): Promise<EngineSeed> {
  const idOf = async (sql: string, params: unknown[] = []) => (await dataSource.query<{ id: string }[]>(sql, params))[0].id;
  const metropolisId = await idOf(`SELECT id FROM collectivity WHERE kind = 'metropolis'`);
  const givorsId = await idOf(`SELECT id FROM collectivity WHERE insee_code = '69091'`);
  const instanceOf = (collectivityId: string, slug: string) =>
    idOf(
      `INSERT INTO instance (collectivity_id, environment, slug) VALUES ($1, 'production', $2)
       ON CONFLICT DO NOTHING RETURNING id`,
      [collectivityId, slug],
    ).catch(() => idOf(`SELECT id FROM instance WHERE collectivity_id = $1 AND environment = 'production' AND status = 'active'`, [collectivityId]));
  const metropolisInstance = await instanceOf(metropolisId, 'metropole-de-lyon-test-engine');
  await instanceOf(givorsId, 'givors-test-engine');
  const teleservices = new TeleserviceRepository(dataSource.manager);
  const publish = async (teleservice: Teleservice, form: unknown, workflow: unknown, at = now) => {
    await teleservices.createDraft(teleservice.collectivityId, teleservice.id, at, { form, workflow, dataSources: [] });
    return teleservices.publish(teleservice.collectivityId, teleservice.id, { publishedBy: 'system', now: at });
  };
  const simple = await teleservices.create({
    instanceId: metropolisInstance,
    collectivityId: metropolisId,
    slug: 'demande-simple',
    kind: 'metropolitan',
    title: 'Demande simple',
    summary: 'Une demande pour les tests',
    anonymousAllowed: true,
    now,
  });
  const simpleV1 = await publish(simple, TEST_FORM, TEST_WORKFLOW);
  const anomaly = await teleservices.create({
    instanceId: metropolisInstance,
    collectivityId: metropolisId,
    slug: 'signalement-anomalie',
    kind: 'mutualised',
    title: 'Signaler une anomalie sur l’espace public',
    summary: 'Nid-de-poule, dépôt sauvage…',
    anonymousAllowed: true,
    routingRule: { by: 'map_point', field: 'lieu' },
    now,
  });
  await publish(anomaly, ANOMALY_FORM, TEST_WORKFLOW);
  const keys = new ApiKeyRepository(dataSource.manager);
  const main = await keys.create(metropolisId, 'GRU de test', ALL, now);
  const givors = await keys.create(givorsId, 'GRU Givors', ALL, now);
  const readOnly = await keys.create(metropolisId, 'Lecture seule', ['teleservices:read', 'demands:read'], now);
  const revoked = await keys.create(metropolisId, 'Révoquée', ALL, now);
  await keys.revoke(metropolisId, revoked.info.id, now);
  return {
    metropolisId,
    givorsId,
    simple,
    simpleV1,
    anomaly,
    key: main.key,
    keyId: main.info.id,
    givorsKey: givors.key,
    readOnlyKey: readOnly.key,
    revokedKey: revoked.key,
    publish,
  };
}

/** The 8-byte PNG signature and a little more: detected as image/png whatever the name says. */
export const PNG_BYTES = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(120, 7)]);
