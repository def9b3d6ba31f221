import type { FieldFilter, InboxFilters } from '#demands';
import { parisDayStart } from './agent-caller.js';

/** The listing's filters as the form sends them (query string of `/demandes` and of its exports). */
export interface ListingForm {
  statut: string;
  teleservice: string;
  du: string;
  au: string;
  q: string;
  canal: string;
  collectivite: string;
  attribution: string;
  etat: string;
  champ: string;
  champ_op: string;
  valeur: string;
  valeur_fin: string;
  /** Chosen columns, comma-separated (see COLUMNS); empty = the default ones. */
  colonnes: string;
  /** `anciennes` (oldest first); empty = newest first. */
  tri: string;
}

const KEYS: (keyof ListingForm)[] = ['statut', 'teleservice', 'du', 'au', 'q', 'canal', 'collectivite', 'attribution', 'etat', 'champ', 'champ_op', 'valeur', 'valeur_fin', 'colonnes', 'tri'];

/** Columns a listing (and its exports) may show, besides the tracking code which is always there. */
export const COLUMNS = [
  { id: 'teleservice', label: 'Téléservice' },
  { id: 'collectivite', label: 'Collectivité' },
  { id: 'depot', label: 'Déposée le' },
  { id: 'statut', label: 'Statut' },
  { id: 'canal', label: 'Canal' },
  { id: 'attribution', label: 'Attribuée à' },
  { id: 'close', label: 'Close le' },
  { id: 'resume', label: 'Résumé' },
  { id: 'champs', label: 'Champs de liste du formulaire' },
] as const;
export type ColumnId = (typeof COLUMNS)[number]['id'];
export const DEFAULT_COLUMNS: ColumnId[] = ['teleservice', 'depot', 'statut'];
const COLUMN_IDS = new Set<string>(COLUMNS.map((c) => c.id));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHANNELS = ['web', 'counter', 'phone', 'mail', 'email', 'api'];

/** One text value of a query string (the first when repeated). */
function one(value: unknown): string {
  if (Array.isArray(value)) return one(value[0]);
  return typeof value === 'string' ? value.trim().slice(0, 200) : '';
}

export interface Listing {
  form: ListingForm;
  filters: InboxFilters;
  /** Field errors (id of the input, French message), summarised at the top of the page. */
  errors: { id: string; message: string }[];
  /** The non-empty filters, for pagination links and exports. */
  keep: URLSearchParams;
  columns: ColumnId[];
  order: 'asc' | 'desc';
}

/**
 * Reads the listing's filters: status, téléservice, Paris days, text (tracking code or data), channel, collectivity
 * (among the agent's), assignment (me / a function / nobody), open or closed, one form field (equals, contains,
 * between). Bad input gives French errors, never a 500. The same parsing serves the page and its exports.
 */
export function parseListing(query: Record<string, unknown>, sub: string): Listing {
  const form = Object.fromEntries(KEYS.map((key) => [key, one(query[key])])) as unknown as ListingForm;
  const errors: { id: string; message: string }[] = [];
  // Columns come as repeated checkboxes (`colonnes=a&colonnes=b`) or one comma-separated value (saved views, links).
  const rawColumns = (Array.isArray(query.colonnes) ? query.colonnes : [query.colonnes]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [])).map((v) => v.trim()).filter(Boolean);
  const chosen = [...new Set(rawColumns)].filter((c) => COLUMN_IDS.has(c)) as ColumnId[];
  if (rawColumns.length && chosen.length !== new Set(rawColumns).size) errors.push({ id: 'colonne-teleservice', message: 'Choisissez les colonnes dans la liste.' });
  const columns = chosen.length ? COLUMNS.map((c) => c.id).filter((id) => chosen.includes(id)) : DEFAULT_COLUMNS;
  form.colonnes = chosen.length && columns.join(',') !== DEFAULT_COLUMNS.join(',') ? columns.join(',') : '';
  if (form.tri && form.tri !== 'anciennes' && form.tri !== 'recentes') errors.push({ id: 'filtre-tri', message: 'Choisissez un ordre de la liste.' });
  if (form.tri === 'recentes') form.tri = '';
  const filters: InboxFilters = {};
  if (form.statut) filters.statuses = [form.statut];
  if (form.teleservice) {
    if (UUID.test(form.teleservice)) filters.teleserviceIds = [form.teleservice];
    else errors.push({ id: 'filtre-teleservice', message: 'Choisissez un téléservice de la liste.' });
  }
  if (form.du) {
    const from = parisDayStart(form.du);
    if (from) filters.submittedFrom = from;
    else errors.push({ id: 'filtre-du', message: 'La date « Déposée à partir du » doit être une date valide (jj/mm/aaaa).' });
  }
  if (form.au) {
    const until = parisDayStart(form.au, 1);
    if (until) filters.submittedBefore = until;
    else errors.push({ id: 'filtre-au', message: 'La date « Déposée jusqu’au » doit être une date valide (jj/mm/aaaa).' });
  }
  if (filters.submittedFrom && filters.submittedBefore && filters.submittedFrom >= filters.submittedBefore) {
    errors.push({ id: 'filtre-au', message: 'La date « Déposée jusqu’au » doit suivre la date « Déposée à partir du ».' });
  }
  if (form.q) filters.text = form.q;
  if (form.canal) {
    if (CHANNELS.includes(form.canal)) filters.channels = [form.canal];
    else errors.push({ id: 'filtre-canal', message: 'Choisissez un canal de la liste.' });
  }
  if (form.collectivite) {
    if (UUID.test(form.collectivite)) filters.collectivityIds = [form.collectivite];
    else errors.push({ id: 'filtre-collectivite', message: 'Choisissez une collectivité de la liste.' });
  }
  if (form.attribution === 'moi') filters.assigned = { kind: 'me', sub };
  else if (form.attribution === 'mes-fonctions') filters.assigned = { kind: 'my_functions' };
  else if (form.attribution === 'personne') filters.assigned = { kind: 'nobody' };
  else if (form.attribution) errors.push({ id: 'filtre-attribution', message: 'Choisissez une attribution de la liste.' });
  if (form.etat === 'ouvertes') filters.state = 'open';
  else if (form.etat === 'attente') filters.state = 'waiting';
  else if (form.etat === 'closes') filters.state = 'closed';
  else if (form.etat) errors.push({ id: 'filtre-etat', message: 'Choisissez « Ouvertes », « En attente de l’usager » ou « Closes ».' });
  if (form.champ) {
    if (!/^[A-Za-z][\w-]{0,99}$/.test(form.champ)) errors.push({ id: 'filtre-champ', message: 'L’identifiant du champ est composé de lettres, chiffres, « - » ou « _ ».' });
    else {
      const field = fieldFilter(form);
      if (typeof field === 'string') errors.push({ id: 'filtre-valeur', message: field });
      else filters.fields = [field];
    }
  }
  const keep = new URLSearchParams(KEYS.filter((key) => form[key] !== '').map((key) => [key, form[key]]));
  return { form, filters, errors, keep, columns, order: form.tri === 'anciennes' ? 'asc' : 'desc' };
}

function fieldFilter(form: ListingForm): FieldFilter | string {
  const op = form.champ_op || 'egal';
  if (op === 'egal' || op === 'contient') {
    if (!form.valeur) return 'Indiquez la valeur cherchée dans le champ.';
    return { fieldId: form.champ, op: op === 'egal' ? 'equals' : 'contains', value: form.valeur };
  }
  if (op === 'entre') {
    if (!form.valeur && !form.valeur_fin) return 'Indiquez au moins une borne (« valeur » ou « jusqu’à »).';
    return { fieldId: form.champ, op: 'between', from: form.valeur || undefined, to: form.valeur_fin || undefined };
  }
  return 'Choisissez une comparaison de la liste.';
}
