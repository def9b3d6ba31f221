import { z } from 'zod';
import { ROUTING_METHODS, TELESERVICE_KINDS } from '../teleservices/teleservice.types.js';

export const BUNDLE_FORMAT = 'parvis-teleservice-bundle';
export const BUNDLE_FORMAT_VERSION = 1;

/**
 * A téléservice exported from an instance: its description and one version's definitions, with the
 * sha-256 of the canonical JSON of `{ form, workflow, dataSources }` (the version's own checksum).
 */
export const teleserviceBundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT, { error: `Format inconnu : « ${BUNDLE_FORMAT} » attendu.` }),
  formatVersion: z.literal(BUNDLE_FORMAT_VERSION, { error: `Version de format non prise en charge : ${BUNDLE_FORMAT_VERSION} attendue.` }),
  exportedAt: z.iso.datetime({ offset: true, error: "Date d'export invalide (ISO 8601 attendu)." }),
  source: z.strictObject({ instance: z.string().min(1).max(100), collectivity: z.string().min(1).max(100) }),
  teleservice: z.strictObject({
    slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Identifiant invalide : minuscules, chiffres et tirets.').max(80),
    kind: z.enum(TELESERVICE_KINDS, { error: `Type inconnu (${TELESERVICE_KINDS.join(', ')}).` }),
    title: z.string().trim().min(3).max(200),
    summary: z.string().trim().min(1).max(500),
    description: z.string().max(10_000).nullable(),
    theme: z.string().max(100).nullable(),
    anonymousAllowed: z.boolean(),
    routingRule: z.strictObject({ by: z.enum(ROUTING_METHODS), field: z.string().min(1).max(64) }).nullable(),
  }),
  version: z.strictObject({
    form: z.unknown(),
    workflow: z.unknown(),
    dataSources: z.unknown(),
    checksum: z.string().regex(/^[0-9a-f]{64}$/, 'Somme de contrôle invalide (sha-256 hexadécimal attendu).'),
  }),
});

export type TeleserviceBundle = z.output<typeof teleserviceBundleSchema>;

export type ImportMode = 'new' | 'new_draft_of_existing';

export interface ImportOptions {
  /** `new`: a new téléservice (its slug must be free); `new_draft_of_existing`: the next draft of the téléservice with that slug. */
  mode: ImportMode;
  /** Another slug on the target instance (mode `new`). */
  slug?: string;
  /** Another kind, e.g. a metropolitan téléservice shared with a commune becomes `communal` there (mode `new`). */
  kind?: (typeof TELESERVICE_KINDS)[number];
}
