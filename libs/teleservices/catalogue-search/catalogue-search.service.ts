import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock, DomainError } from '#core';

/**
 * The citizen catalogue (read side): which téléservices a citizen may start, French full-text search over
 * them, and what a téléservice page shows. Listed = on an active production instance, not a catalogue pack
 * (a template: communes deploy it), not archived, within its publication window, with a published version.
 * Search functions come from migration 1763800800000-catalogue-search (unaccent, French stems, doubled letters).
 */

export interface Provider {
  slug: string;
  name: string;
  kind: 'metropolis' | 'commune';
  /** « la Métropole de Lyon », « la commune de Givors », « la commune d’Écully ». */
  phrase: string;
}

export interface CatalogueEntry {
  id: string;
  instanceSlug: string;
  slug: string;
  title: string;
  summary: string;
  theme: string | null;
  anonymousAllowed: boolean;
  provider: Provider;
  /** `/demarches/<instance>/<slug>` */
  href: string;
}

export interface CatalogueQuery {
  /** Free text, searched in French (accents, plurals, stems). */
  text?: string;
  theme?: string;
  /** Only the téléservices of this collectivity (slug). */
  collectivity?: string;
  /** « Ma commune » (slug): the metropolis' téléservices plus this commune's. */
  commune?: string;
}

export interface PreparationItem {
  label: string;
  required: boolean;
  /** Shown only in some cases (a display condition). */
  conditional: boolean;
  /** « PDF ou image » */
  formats: string;
}

export interface TeleserviceDetails extends CatalogueEntry {
  description: string | null;
  kind: string;
  toPrepare: PreparationItem[];
  /** Fields the citizen fills in (display-only and computed fields aside; conditional ones included). */
  fieldCount: number;
  estimatedMinutes: number;
  contact: { name?: string; email?: string; phone?: string; address?: string; hours?: string } | null;
  /** Mutualised téléservices are handled by the competent commune. */
  routedToCommune: boolean;
  formHref: string;
}

export const CatalogueSearchErrors = { TELESERVICE_NOT_FOUND: 'TELESERVICE_NOT_FOUND' } as const;

/** Short French words that carry no meaning in a search (« pass » must stay: it is no stop word). */
const STOP_WORDS = new Set(['a', 'au', 'aux', 'd', 'de', 'des', 'du', 'en', 'et', 'l', 'la', 'le', 'les', 'ma', 'mes', 'mon', 'par', 'pour', 'sur', 'un', 'une', 'votre', 'vos']);
const MAX_WORDS = 8;

/** Search words, normalised as `parvis_search_text` does (lower case, no accents, doubled letters collapsed). */
export function searchWords(text: string | undefined): string[] {
  if (!text) return [];
  const words = text
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .split(/[^a-z0-9]+/)
    .map((word) => word.replace(/([a-z])\1+/g, '$1'))
    .filter((word) => word && !STOP_WORDS.has(word));
  return [...new Set(words)].slice(0, MAX_WORDS);
}

/** « la commune de Givors », « la commune d’Écully », « la Métropole de Lyon ». */
export function providerPhrase(kind: string, name: string): string {
  if (kind === 'metropolis') return /^métropole/i.test(name) ? `la ${name}` : name;
  if (/^le /i.test(name)) return `la commune du ${name.slice(3)}`;
  if (/^les /i.test(name)) return `la commune des ${name.slice(4)}`;
  return /^[aeiouyàâäéèêëîïôöûüh]/i.test(name) && !/^h[^aeiouy]/i.test(name) ? `la commune d’${name}` : `la commune de ${name}`;
}

const FORMATS: Record<string, string> = {
  'application/pdf': 'PDF',
  'image/*': 'image (JPEG, PNG…)',
  'image/jpeg': 'JPEG',
  'image/png': 'PNG',
  'image/webp': 'WebP',
  'application/vnd.oasis.opendocument.spreadsheet': 'tableur ODS',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'tableur XLSX',
  'application/vnd.oasis.opendocument.text': 'texte ODT',
};

function formatList(accept: unknown): string {
  const list = Array.isArray(accept) ? accept.map((type) => FORMATS[String(type)] ?? String(type)) : [];
  if (!list.length) return 'tout format';
  return list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} ou ${list[list.length - 1]}`;
}

const DISPLAY_ONLY = new Set(['title', 'subtitle', 'comment', 'computed']);

interface FieldLike {
  type?: string;
  label?: string;
  required?: boolean;
  condition?: string;
  accept?: unknown;
  fields?: FieldLike[];
}

/** What to prepare (file fields), how many fields to fill in, and an estimate: 30 s per field, 1 min per file. */
export function analyseForm(form: unknown): { toPrepare: PreparationItem[]; fieldCount: number; estimatedMinutes: number } {
  const pages = ((form as { pages?: { condition?: string; fields?: FieldLike[] }[] } | null)?.pages ?? []);
  const toPrepare: PreparationItem[] = [];
  let fieldCount = 0;
  let files = 0;
  const visit = (field: FieldLike, conditional: boolean) => {
    if (field.type === 'block') {
      for (const child of field.fields ?? []) visit(child, conditional || !!field.condition);
      return;
    }
    if (!field.type || DISPLAY_ONLY.has(field.type)) return;
    fieldCount++;
    if (field.type === 'file') {
      files++;
      toPrepare.push({ label: field.label ?? 'Document', required: !!field.required && !conditional && !field.condition, conditional: conditional || !!field.condition, formats: formatList(field.accept) });
    }
  };
  for (const page of pages) for (const field of page.fields ?? []) visit(field, !!page.condition);
  const seconds = (fieldCount - files) * 30 + files * 60;
  const minutes = Math.max(2, Math.ceil(seconds / 60));
  return { toPrepare, fieldCount, estimatedMinutes: minutes <= 5 ? minutes : Math.ceil(minutes / 5) * 5 };
}

interface Row {
  id: string;
  instance_slug: string;
  slug: string;
  kind: string;
  title: string;
  summary: string;
  description: string | null;
  theme: string | null;
  anonymous_allowed: boolean;
  settings: Record<string, unknown> | null;
  provider_slug: string;
  provider_name: string;
  provider_kind: 'metropolis' | 'commune';
}

@Injectable()
export class CatalogueSearchService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Listed téléservices matching the query: ranked when there is text, else by title. */
  async search(query: CatalogueQuery = {}): Promise<CatalogueEntry[]> {
    const params: unknown[] = [this.clock.now()];
    const where: string[] = [];
    if (query.theme) {
      params.push(query.theme);
      where.push(`t.theme = $${params.length}`);
    }
    if (query.collectivity) {
      params.push(query.collectivity);
      where.push(`c.slug = $${params.length}`);
    }
    if (query.commune) {
      params.push(query.commune);
      where.push(`(c.kind = 'metropolis' OR c.slug = $${params.length})`);
    }
    const words = searchWords(query.text);
    let rank = '0';
    if (words.length) {
      const terms = words.map((word) => {
        params.push(`${word}:*`);
        return `(to_tsquery('french', $${params.length}) || to_tsquery('simple', $${params.length}))`;
      });
      rank = `ts_rank(${DOCUMENT}, ${terms.join(' && ')})`;
      where.push(`${DOCUMENT} @@ (${terms.join(' && ')})`);
    } else if (query.text?.trim()) {
      return []; // only stop words or punctuation
    }
    const rows = await this.dataSource.query<(Row & { rank: number })[]>(
      `SELECT ${COLUMNS}, ${rank} AS rank ${LISTED} ${where.map((w) => `AND ${w}`).join(' ')}
        ORDER BY rank DESC, t.title COLLATE "C", c.name, t.id`,
      params,
    );
    const entries = rows.map(toEntry);
    // Titles in French alphabetical order when not ranked (COLLATE "C" would put « É » after « Z »).
    return words.length ? entries : entries.sort((a, b) => a.title.localeCompare(b.title, 'fr') || a.provider.name.localeCompare(b.provider.name, 'fr'));
  }

  /** Themes of the listed téléservices, in French order. */
  async themes(commune?: string): Promise<string[]> {
    const params: unknown[] = [this.clock.now()];
    let filter = '';
    if (commune) {
      params.push(commune);
      filter = `AND (c.kind = 'metropolis' OR c.slug = $2)`;
    }
    const rows = await this.dataSource.query<{ theme: string }[]>(`SELECT DISTINCT t.theme ${LISTED} AND t.theme IS NOT NULL ${filter}`, params);
    return rows.map((row) => row.theme).sort((a, b) => a.localeCompare(b, 'fr'));
  }

  /** Collectivities offering at least one listed téléservice: the metropolis first, then communes by name. */
  async providers(): Promise<Provider[]> {
    const rows = await this.dataSource.query<{ slug: string; name: string; kind: 'metropolis' | 'commune' }[]>(
      `SELECT DISTINCT c.slug, c.name, c.kind ${LISTED}`,
      [this.clock.now()],
    );
    return rows
      .map((row) => ({ ...row, phrase: providerPhrase(row.kind, row.name) }))
      .sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name, 'fr') : a.kind === 'metropolis' ? -1 : 1));
  }

  /** The metropolis' communes (for « Ma commune »), by name. */
  async communes(): Promise<{ slug: string; name: string }[]> {
    const rows = await this.dataSource.query<{ slug: string; name: string }[]>(`SELECT slug, name FROM collectivity WHERE kind = 'commune'`);
    return rows.sort((a, b) => a.name.localeCompare(b.name, 'fr'));
  }

  /** A listed téléservice with what its page shows, or a French « not found » error. */
  async getTeleservice(instanceSlug: string, slug: string): Promise<TeleserviceDetails> {
    const rows = await this.dataSource.query<(Row & { form: unknown })[]>(
      `SELECT ${COLUMNS},
              (SELECT v.form FROM teleservice_version v WHERE v.teleservice_id = t.id AND v.state = 'published' ORDER BY v.number DESC LIMIT 1) AS form
         ${LISTED} AND i.slug = $2 AND t.slug = $3`,
      [this.clock.now(), instanceSlug, slug],
    );
    const row = rows[0];
    if (!row) throw DomainError.notFound(CatalogueSearchErrors.TELESERVICE_NOT_FOUND, 'Cette démarche n’existe pas ou n’est plus proposée en ligne.');
    const contact = (row.settings?.contact ?? null) as TeleserviceDetails['contact'];
    return {
      ...toEntry(row),
      description: row.description,
      kind: row.kind,
      ...analyseForm(row.form),
      contact,
      routedToCommune: row.kind === 'mutualised',
      formHref: `${toEntry(row).href}/formulaire`,
    };
  }
}

const COLUMNS = `t.id, i.slug AS instance_slug, t.slug, t.kind, t.title, t.summary, t.description, t.theme, t.anonymous_allowed, t.settings,
  c.slug AS provider_slug, c.name AS provider_name, c.kind AS provider_kind`;

/** Listed téléservices; `$1` is now. */
const LISTED = `FROM teleservice t
  JOIN instance i ON i.id = t.instance_id AND i.environment = 'production' AND i.status = 'active'
  JOIN collectivity c ON c.id = t.collectivity_id
 WHERE t.archived_at IS NULL AND t.kind <> 'catalogue_pack'
   AND (t.opens_at IS NULL OR t.opens_at <= $1) AND (t.closes_at IS NULL OR t.closes_at > $1)
   AND EXISTS (SELECT 1 FROM teleservice_version v WHERE v.teleservice_id = t.id AND v.state = 'published')`;

const DOCUMENT = `parvis_search_vector(t.title, t.summary, t.description, t.theme, c.name)`;

function toEntry(row: Row): CatalogueEntry {
  return {
    id: row.id,
    instanceSlug: row.instance_slug,
    slug: row.slug,
    title: row.title,
    summary: row.summary,
    theme: row.theme,
    anonymousAllowed: row.anonymous_allowed,
    provider: { slug: row.provider_slug, name: row.provider_name, kind: row.provider_kind, phrase: providerPhrase(row.provider_kind, row.provider_name) },
    href: `/demarches/${row.instance_slug}/${row.slug}`,
  };
}
