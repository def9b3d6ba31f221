import { describe, expect, it } from '@jest/globals';
import { attachmentPaths, safeFileName } from './export-paths.js';

describe('instance export: paths of the attachments’ files', () => {
  it('keeps the person’s file name under pieces-jointes/<tracking code>/', () => {
    const paths = attachmentPaths('ABCD-2345', [{ id: 'a', fileName: 'Photo du lampadaire.jpg' }]);
    expect(paths.get('a')).toBe('pieces-jointes/ABCD-2345/Photo du lampadaire.jpg');
  });

  it('never lets a name become a path: separators, dots, control characters', () => {
    expect(safeFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFileName('..')).toBe('fichier');
    expect(safeFileName('C:\\Users\\a.pdf')).toBe('C__Users_a.pdf');
    expect(safeFileName('a\u0000b\nc.txt')).toBe('a_b_c.txt');
    expect(safeFileName('  .cache ')).toBe('cache');
    expect(safeFileName('')).toBe('fichier');
  });

  it('shortens a long name to 150 characters, keeping its extension', () => {
    const name = safeFileName(`${'x'.repeat(300)}.pdf`);
    expect(name).toHaveLength(150);
    expect(name.endsWith('.pdf')).toBe(true);
  });

  it('numbers files of the same name (case ignored), in the order given', () => {
    const paths = attachmentPaths('C0DE', [
      { id: '1', fileName: 'scan.pdf' },
      { id: '2', fileName: 'SCAN.pdf' },
      { id: '3', fileName: 'scan.pdf' },
      { id: '4', fileName: 'scan' },
    ]);
    expect([...paths.values()]).toEqual(['pieces-jointes/C0DE/scan.pdf', 'pieces-jointes/C0DE/SCAN (2).pdf', 'pieces-jointes/C0DE/scan (3).pdf', 'pieces-jointes/C0DE/scan']);
  });
});
