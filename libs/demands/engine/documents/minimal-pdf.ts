/**
 * A minimal PDF 1.4 writer for the engine's generated documents: A4 pages of text (a bold title, then
 * paragraphs and "label : value" lines), the standard Helvetica fonts in WinAnsi encoding (French accents, « »,
 * ’, œ, €), lines wrapped to the page, as many pages as needed. No dependency, no images, no fonts embedded: a
 * convocation or an acknowledgement reads the same in every PDF reader. Characters outside WinAnsi become « ? ».
 */

export interface PdfLine {
  text: string;
  bold?: boolean;
  /** Font size in points (default 11). */
  size?: number;
  /** Extra space before the line, in points. */
  spaceBefore?: number;
}

export interface PdfDocument {
  title: string;
  lines: PdfLine[];
}

const PAGE_WIDTH = 595;
const PAGE_HEIGHT = 842;
const MARGIN = 56;
/** Helvetica's average advance is about half its size: wrapping at this many characters per point of size fits. */
const CHARS_PER_WIDTH = (PAGE_WIDTH - 2 * MARGIN) / 0.52;

const WIN_ANSI_EXTRA: Record<string, number> = {
  '€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88, '‰': 0x89, 'Š': 0x8a,
  '‹': 0x8b, 'Œ': 0x8c, 'Ž': 0x8e, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97,
  '˜': 0x98, '™': 0x99, 'š': 0x9a, '›': 0x9b, 'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f, '\u202f': 0xa0, '\u2009': 0x20,
};

/** A PDF string literal of `text` in WinAnsi, ASCII-only (other bytes as octal escapes). */
function pdfString(text: string): string {
  let out = '(';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    let byte: number;
    if (WIN_ANSI_EXTRA[char] !== undefined) byte = WIN_ANSI_EXTRA[char];
    else if (code >= 0x20 && code < 0x7f) byte = code;
    else if (code >= 0xa0 && code <= 0xff) byte = code;
    else byte = 0x3f; // ?
    if (byte === 0x28 || byte === 0x29 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte < 0x20 || byte > 0x7e) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `${out})`;
}

/** Splits a line into lines of at most `width` characters, at spaces when possible. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.replace(/\r\n?/g, '\n').split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      let rest = word;
      while (rest.length > width) {
        if (line) out.push(line);
        line = '';
        out.push(rest.slice(0, width));
        rest = rest.slice(width);
      }
      if (!line) line = rest;
      else if (line.length + 1 + rest.length <= width) line += ` ${rest}`;
      else {
        out.push(line);
        line = rest;
      }
    }
    out.push(line);
  }
  return out;
}

/** Renders the document to PDF bytes. */
export function renderPdf(document: PdfDocument): Buffer {
  // Lay the lines out on pages.
  const pages: string[][] = [[]];
  let y = PAGE_HEIGHT - MARGIN;
  for (const line of document.lines) {
    const size = line.size ?? 11;
    const leading = Math.round(size * 1.4);
    y -= line.spaceBefore ?? 0;
    for (const piece of wrap(line.text, Math.floor(CHARS_PER_WIDTH / size))) {
      if (y - leading < MARGIN) {
        pages.push([]);
        y = PAGE_HEIGHT - MARGIN;
      }
      y -= leading;
      if (piece) pages[pages.length - 1].push(`BT /${line.bold ? 'F2' : 'F1'} ${size} Tf ${MARGIN} ${y} Td ${pdfString(piece)} Tj ET`);
    }
  }

  const objects: string[] = [];
  /** Object number = index + 1. */
  const add = (body: string) => objects.push(body);
  add('<< /Type /Catalog /Pages 2 0 R >>');
  add(''); // pages, filled below
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>');
  add(`<< /Title ${pdfString(document.title)} /Producer (Parvis) >>`);
  const kids: string[] = [];
  pages.forEach((operations, index) => {
    const footer = `BT /F1 8 Tf ${MARGIN} ${MARGIN / 2} Td ${pdfString(`${document.title} — page ${index + 1}/${pages.length}`)} Tj ET`;
    const stream = [...operations, footer].join('\n');
    add(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
    const contents = objects.length;
    add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${contents} 0 R >>`);
    kids.push(`${objects.length} 0 R`);
  });
  objects[1] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages.length} >>`;

  let pdf = '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 5 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
