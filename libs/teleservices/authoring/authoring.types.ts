import { z } from 'zod';
import type { FieldError } from '#core';
import { authoringErrors } from './authoring.errors.js';

/**
 * Who authors: an agent (or a system task such as the demo seed) acting for one collectivity. `sub` is
 * recorded as `published_by`. Access rule: only the owning collectivity edits, publishes, archives.
 */
export interface AuthoringActor {
  sub: string;
  collectivityId: string;
}

/** Contact details an Abonné commune sets on a deployed catalogue pack (shown to the citizen). */
export const packContactSchema = z.strictObject({
  name: z.string().trim().min(1, 'Nom du service requis.').max(200),
  email: z.email('Courriel invalide.').max(254),
  phone: z
    .string()
    .trim()
    .regex(/^(?:\+33|0)[1-9](?:[ .-]?\d{2}){4}$/, 'Téléphone invalide (ex. 04 78 00 00 00).')
    .optional(),
  address: z.string().trim().max(300).optional(),
  hours: z.string().trim().max(300).optional(),
});
export type PackContact = z.output<typeof packContactSchema>;

/** `teleservice.settings` (jsonb, migration 1763800450000-authoring): per-téléservice settings. */
export interface TeleserviceSettings {
  /** A deployed catalogue pack: the commune's contact details. */
  contact?: PackContact;
  /** A deployed catalogue pack: the pack version last deployed. */
  packVersionId?: string;
}

const frenchLocale = z.locales.fr().localeError;

/** Parses a command; every problem is listed with its path (`title`, `opensAt`…) in TELESERVICE_COMMAND_INVALID. */
export function parseCommand<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input, { error: frenchLocale, reportInput: true });
  if (parsed.success) return parsed.data;
  const fields: FieldError[] = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '$',
    code: issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined ? 'REQUIRED' : 'INVALID',
    message: issue.message,
  }));
  throw authoringErrors.commandInvalid(fields);
}
