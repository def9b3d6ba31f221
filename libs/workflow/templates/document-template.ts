import { CompiledTemplate, type TemplateVariables } from './templates.js';

/**
 * The `documentTemplate` of an `attach_document` action whose document the authors write themselves, in the
 * action's `template` (`{ title, body }`), versioned with the workflow like any other part of it.
 */
export const CUSTOM_DOCUMENT = 'personnalise';

/** An authors' document: Handlebars over the demand's variables (the same as notifications'). */
export interface DocumentTemplateSource {
  title: string;
  body: string;
}

/** A laid-out line (the shape the engine's PDF writer takes). */
export interface DocumentLine {
  text: string;
  bold?: boolean;
  size?: number;
  spaceBefore?: number;
}

export interface RenderedDocument {
  title: string;
  lines: DocumentLine[];
}

/** A long document is cut there (a PDF of a few pages, not a book). */
const MAX_LINES = 2_000;

const HEADING_1 = /^(?:#\s+(.+)|<h1>(.*)<\/h1>)$/i;
const HEADING_2 = /^(?:##\s+(.+)|<h2>(.*)<\/h2>)$/i;
const BOLD = /^(?:\*\*(.+)\*\*|<(?:b|strong)>(.*)<\/(?:b|strong)>)$/i;

/**
 * Renders an authors' document for these variables, then lays the text out: a blank line (or `<p>`) separates
 * paragraphs, `<br>` breaks a line, a line `# Titre` / `<h1>Titre</h1>` is a heading, `## …` / `<h2>` a
 * sub-heading, `**…**` / `<b>…</b>` / `<strong>…</strong>` (the whole line) bold. Nothing else is markup: other
 * tags are printed as they are, and a PDF line holds no active content, so a value cannot inject anything.
 */
export function renderDocumentTemplate(template: DocumentTemplateSource, variables: TemplateVariables): RenderedDocument {
  const title = new CompiledTemplate(template.title).text(variables).replace(/\s+/g, ' ').trim();
  const text = new CompiledTemplate(template.body)
    .text(variables)
    .replace(/\r\n?/g, '\n')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/?p>/gi, '\n\n');
  const lines: DocumentLine[] = [];
  let space = 0;
  for (const raw of text.split('\n')) {
    if (lines.length >= MAX_LINES) break;
    const line = raw.trimEnd();
    if (line.trim() === '') {
      if (lines.length > 0) space = 8;
      continue;
    }
    const h1 = HEADING_1.exec(line.trim());
    const h2 = h1 ? null : HEADING_2.exec(line.trim());
    const bold = h1 || h2 ? null : BOLD.exec(line.trim());
    if (h1) lines.push({ text: (h1[1] ?? h1[2]).trim(), bold: true, size: 16, spaceBefore: Math.max(space, 12) });
    else if (h2) lines.push({ text: (h2[1] ?? h2[2]).trim(), bold: true, size: 13, spaceBefore: Math.max(space, 10) });
    else if (bold) lines.push({ text: (bold[1] ?? bold[2]).trim(), bold: true, spaceBefore: space });
    else lines.push({ text: line, spaceBefore: space });
    space = 0;
  }
  return { title, lines };
}
