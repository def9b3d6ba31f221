/**
 * File type from the content's first bytes (magic numbers), never from the name or the client's claim.
 * Recognised: PDF, PNG, JPEG, GIF, WebP, OpenDocument text (ODT), Word (DOCX) and plain UTF-8 text;
 * anything else is `application/octet-stream`. Needs the first `SNIFF_BYTES` bytes (fewer for a short file).
 */
export const SNIFF_BYTES = 4096;

export const MIME = {
  PDF: 'application/pdf',
  PNG: 'image/png',
  JPEG: 'image/jpeg',
  GIF: 'image/gif',
  WEBP: 'image/webp',
  ODT: 'application/vnd.oasis.opendocument.text',
  DOCX: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  ZIP: 'application/zip',
  TEXT: 'text/plain',
  UNKNOWN: 'application/octet-stream',
} as const;

const startsWith = (head: Buffer, bytes: number[], offset = 0) => head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b);
const ascii = (text: string) => [...Buffer.from(text, 'latin1')];

export function detectMimeType(head: Buffer): string {
  if (startsWith(head, ascii('%PDF-'))) return MIME.PDF;
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return MIME.PNG;
  if (startsWith(head, [0xff, 0xd8, 0xff])) return MIME.JPEG;
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return MIME.GIF;
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return MIME.WEBP;
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return detectZip(head);
  if (isPlainText(head)) return MIME.TEXT;
  return MIME.UNKNOWN;
}

/**
 * An ODF package starts with a stored, uncompressed `mimetype` entry naming its type; a DOCX (OOXML) has
 * `[Content_Types].xml` and a `word/` part among its first local file headers.
 */
function detectZip(head: Buffer): string {
  const names: string[] = [];
  let offset = 0;
  while (offset + 30 <= head.length && head.readUInt32LE(offset) === 0x04034b50 && names.length < 16) {
    const compressedSize = head.readUInt32LE(offset + 18);
    const nameLength = head.readUInt16LE(offset + 26);
    const extraLength = head.readUInt16LE(offset + 28);
    const nameEnd = offset + 30 + nameLength;
    if (nameEnd > head.length) break;
    const name = head.toString('latin1', offset + 30, nameEnd);
    names.push(name);
    const dataStart = nameEnd + extraLength;
    if (names.length === 1 && name === 'mimetype') {
      const type = head.toString('latin1', dataStart, Math.min(dataStart + compressedSize, head.length));
      if (type === MIME.ODT) return MIME.ODT;
    }
    const flags = head.readUInt16LE(offset + 6);
    if (flags & 0x08) break; // sizes in a data descriptor after the data: cannot walk further
    offset = dataStart + compressedSize;
  }
  if (names.includes('[Content_Types].xml') && names.some((n) => n.startsWith('word/'))) return MIME.DOCX;
  return MIME.ZIP;
}

/** Valid UTF-8 without control characters other than tab, line feed, form feed and carriage return. */
function isPlainText(head: Buffer): boolean {
  if (head.length === 0) return false;
  try {
    // stream: true tolerates a multi-byte character cut at the end of the sample.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    // eslint-disable-next-line no-control-regex
    return !/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text);
  } catch {
    return false;
  }
}
