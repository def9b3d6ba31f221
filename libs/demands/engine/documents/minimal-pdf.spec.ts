import { describe, expect, it } from '@jest/globals';
import { documentFor } from './document-models.js';
import { renderPdf, wrap } from './minimal-pdf.js';

/** Reads the cross-reference table and checks every offset points at its "n 0 obj". */
function checkXref(pdf: string): number {
  const start = Number(/startxref\n(\d+)\n%%EOF/.exec(pdf)![1]);
  expect(pdf.slice(start, start + 4)).toBe('xref');
  const [, count] = /xref\n0 (\d+)\n/.exec(pdf.slice(start))!.map(Number);
  const entries = pdf.slice(start).split('\n').slice(3, 3 + count - 1);
  entries.forEach((line, i) => {
    const offset = Number(line.slice(0, 10));
    expect(pdf.slice(offset, offset + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`);
  });
  return count - 1;
}

describe('minimal PDF writer', () => {
  it('writes a valid file: header, objects at the offsets the xref gives, trailer; French text in WinAnsi, special characters escaped', () => {
    const pdf = renderPdf({ title: 'Accusé de réception', lines: [{ text: 'Œuvre « test » (parenthèses) \\ 12 € — l’été', bold: true }, { text: 'Emoji 🙂 inconnu' }] }).toString('latin1');
    expect(pdf.startsWith('%PDF-1.4\n')).toBe(true);
    expect(checkXref(pdf)).toBeGreaterThanOrEqual(7);
    expect(pdf).toContain('(\\214uvre \\253 test \\273 \\(parenth\\350ses\\) \\\\ 12 \\200 \\227 l\\222\\351t\\351)');
    expect(pdf).toContain('(Emoji ? inconnu)');
    expect(pdf).toContain('/Count 1');
    // ASCII only: the bytes survive any transport.
    expect([...pdf.slice(15)].every((c) => c.charCodeAt(0) < 128)).toBe(true);
  });

  it('wraps long lines at spaces, cuts words longer than a line, and adds pages as needed', () => {
    expect(wrap('un deux trois quatre', 9)).toEqual(['un deux', 'trois', 'quatre']);
    expect(wrap('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
    expect(wrap('a\n\nb', 10)).toEqual(['a', '', 'b']);
    const pdf = renderPdf({ title: 'Long', lines: Array.from({ length: 120 }, (_, i) => ({ text: `Ligne ${i}` })) }).toString('latin1');
    expect(pdf).toContain('/Count 3');
    checkXref(pdf);
    expect(pdf).toContain('(Long \\227 page 3/3)');
  });

  it('renders a model with the form’s answers, blocks included', () => {
    const document = documentFor('recapitulatif', {
      collectivityName: 'Bron',
      teleserviceTitle: 'Inscription scolaire',
      trackingCode: 'ABCD-EFGH',
      submittedAt: new Date('2026-03-02T08:00:00Z'),
      statusLabel: 'Demande reçue',
      summary: [
        { id: 'nom', label: 'Nom', value: 'Martin' },
        { id: 'enfants', label: 'Enfants', value: '', items: [[{ id: 'prenom', label: 'Prénom', value: 'Léa' }]] },
      ],
      now: new Date('2026-03-03T08:00:00Z'),
    });
    const texts = document.lines.map((l) => l.text);
    expect(texts).toEqual(
      expect.arrayContaining(['Récapitulatif de la demande', 'Nom : Martin', 'Enfants', '   Prénom : Léa', 'Document établi le 3 mars 2026 par Bron.']),
    );
    expect(texts.join('\n')).toContain('Demande ABCD-EFGH déposée le 2 mars 2026');
  });
});
