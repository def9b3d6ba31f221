/** The folder of the attachments' files in an instance export: `pieces-jointes/<tracking code>/<file name>`. */
export const ATTACHMENTS_FOLDER = 'pieces-jointes';

const UNSAFE = new Set(['/', '\\', ':', '*', '?', '"', '<', '>', '|']);

/**
 * A file name as a zip entry name: the person's name kept as far as possible, but never a path (no `/` or `\`, no
 * `.` or `..`, no control characters, no leading dots or trailing spaces), at most 150 characters (the extension
 * kept); « fichier » when nothing is left.
 */
export function safeFileName(name: string): string {
  let cleaned = [...name.normalize('NFC')]
    .map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f || UNSAFE.has(c) ? '_' : c))
    .join('')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (cleaned.length > 150) {
    const dot = cleaned.lastIndexOf('.');
    const extension = dot > 0 && cleaned.length - dot <= 10 ? cleaned.slice(dot) : '';
    cleaned = cleaned.slice(0, 150 - extension.length) + extension;
  }
  return cleaned || 'fichier';
}

/**
 * The path of each of a demand's attachments in the export, in the order given (the export reads them by creation
 * date then id, in both of its passes, so both compute the same paths). Two files of the same name (compared without
 * case) get « nom (2).ext », « nom (3).ext »…
 */
export function attachmentPaths(trackingCode: string, files: readonly { id: string; fileName: string }[]): Map<string, string> {
  const folder = `${ATTACHMENTS_FOLDER}/${safeFileName(trackingCode)}`;
  const taken = new Set<string>();
  const paths = new Map<string, string>();
  for (const file of files) {
    const name = safeFileName(file.fileName);
    const dot = name.lastIndexOf('.');
    const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    let candidate = name;
    for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${extension}`;
    taken.add(candidate.toLowerCase());
    paths.set(file.id, `${folder}/${candidate}`);
  }
  return paths;
}
