import { PassThrough, type Writable } from 'node:stream';
import { once } from 'node:events';
import yazl from 'yazl';
import type { AgentExportQueries, AgentInboxQueries, Demand, EngineCaller, InboxFilters } from '#demands';
import { formatDateTime } from './agent-caller.js';
import { COLUMNS, type ColumnId } from './listing.js';

/** What an export reads: the agent, the listing's filters, and the queries. */
export interface ExportSource {
  caller: EngineCaller;
  filters: InboxFilters;
  inbox: AgentInboxQueries;
  exports: AgentExportQueries;
  /** The listing's columns (the tracking code always comes first) and order. */
  columns: readonly ColumnId[];
  order: 'asc' | 'desc';
  collectivityName(id: string): string;
  /** « Attribuée à » of a demand (an agent's address, a function, or empty). */
  assignee(demand: Demand): string;
}

const CHANNEL_LABELS: Record<string, string> = { web: 'En ligne', counter: 'Guichet', phone: 'Téléphone', mail: 'Courrier', email: 'Courriel', api: 'Système partenaire' };

export function exportFileName(format: 'csv' | 'ods', at: Date): string {
  return `demandes-${at.toISOString().slice(0, 10)}.${format}`;
}

/**
 * Rows of the listing, batch by batch from the cursor: the tracking code, then the listing's columns; « Champs de
 * liste du formulaire » becomes one column per field marked `inListings` (by label; the first batch decides them,
 * since the header is written before the rest is read).
 */
async function eachRow(source: ExportSource, onHeader: (columns: string[]) => Promise<void>, onRow: (cells: string[]) => Promise<void>): Promise<void> {
  let fieldLabels: string[] | null = null;
  const header = (labels: string[]) =>
    onHeader(['Numéro de suivi', ...source.columns.flatMap((id) => (id === 'champs' ? labels : [COLUMNS.find((c) => c.id === id)!.label]))]);
  await source.exports.each(
    source.caller,
    source.filters,
    async (demands: Demand[]) => {
      const labels = await source.inbox.labelsFor(demands);
      const titles = await source.inbox.teleserviceTitles(demands.map((d) => d.teleserviceId));
      if (!fieldLabels) {
        fieldLabels = source.columns.includes('champs') ? [...new Set(demands.flatMap((d) => labels.get(d.id)?.listing.map((e) => e.label) ?? []))] : [];
        await header(fieldLabels);
      }
      for (const demand of demands) {
        const label = labels.get(demand.id);
        const values = new Map((label?.listing ?? []).map((e) => [e.label, e.value]));
        const cell = (id: ColumnId): string[] => {
          switch (id) {
            case 'teleservice':
              return [titles.get(demand.teleserviceId) ?? ''];
            case 'collectivite':
              return [source.collectivityName(demand.collectivityId)];
            case 'depot':
              return [formatDateTime(demand.submittedAt)];
            case 'statut':
              return [label?.statusLabel ?? demand.status];
            case 'canal':
              return [CHANNEL_LABELS[demand.channel] ?? demand.channel];
            case 'attribution':
              return [source.assignee(demand)];
            case 'close':
              return [demand.closedAt ? formatDateTime(demand.closedAt) : ''];
            case 'resume':
              return [label?.summaryLine ?? ''];
            case 'champs':
              return fieldLabels!.map((l) => values.get(l) ?? '');
          }
        };
        await onRow([demand.trackingCode, ...source.columns.flatMap(cell)]);
      }
    },
    { order: source.order },
  );
  if (!fieldLabels) await header([]);
}

async function write(out: Writable, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/**
 * A cell as French spreadsheets read it: a value starting with `=`, `+`, `-`, `@` (or a tab / carriage return) is
 * prefixed with `'` so that it is never run as a formula (CSV injection); a cell holding `;`, `"` or a line break is
 * quoted, inner quotes doubled.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[;"\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** CSV for French spreadsheets: UTF-8 with BOM, `;` separator, CRLF line ends, streamed batch by batch. */
export async function writeCsv(out: Writable, source: ExportSource): Promise<void> {
  try {
    await write(out, '\uFEFF');
    const line = (cells: string[]) => write(out, `${cells.map(csvCell).join(';')}\r\n`);
    await eachRow(source, line, line);
    out.end();
  } catch (error) {
    out.destroy(error as Error);
  }
}

const ODS_MIMETYPE = 'application/vnd.oasis.opendocument.spreadsheet';
const MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="${ODS_MIMETYPE}"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
`;

function xml(text: string): string {
  // Characters XML 1.0 refuses are dropped; the five special ones escaped.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function odsRow(cells: string[]): string {
  return `<table:table-row>${cells.map((c) => `<table:table-cell office:value-type="string"><text:p>${xml(c)}</text:p></table:table-cell>`).join('')}</table:table-row>\n`;
}

/**
 * ODS (OpenDocument spreadsheet) with yazl: the `mimetype` entry first and stored (uncompressed), as the format
 * requires, then the manifest, then `content.xml` streamed row by row (every cell a string: no formula runs).
 */
export async function writeOds(out: Writable, source: ExportSource): Promise<void> {
  const zip = new yazl.ZipFile();
  const content = new PassThrough();
  zip.addBuffer(Buffer.from(ODS_MIMETYPE), 'mimetype', { compress: false });
  zip.addBuffer(Buffer.from(MANIFEST), 'META-INF/manifest.xml');
  zip.addReadStream(content, 'content.xml');
  zip.end();
  zip.outputStream.pipe(out);
  try {
    await write(
      content,
      `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Demandes">
`,
    );
    const row = (cells: string[]) => write(content, odsRow(cells));
    await eachRow(source, row, row);
    content.end('</table:table></office:spreadsheet></office:body></office:document-content>\n');
    await once(out, 'finish');
  } catch (error) {
    content.destroy(error as Error);
    out.destroy(error as Error);
  }
}
