import { describe, expect, it } from '@jest/globals';
import { validateWorkflowDefinition } from '../definition/validate-workflow-definition.js';
import { renderDocumentTemplate } from './document-template.js';

const workflowWith = (action: Record<string, unknown>) => ({
  schemaVersion: 1,
  initialStatus: 'a',
  functions: [{ id: 'receiver', label: 'Instructeur' }],
  statuses: [{ id: 'a', label: 'A', colour: '#1F5FAD', visibility: 'citizen', final: true, actions: [action] }],
});
const doc = (extra: Record<string, unknown>) => ({ id: 'doc', kind: 'attach_document', filename: 'doc.pdf', visibility: 'citizen', ...extra });

describe('documents written by the authors', () => {
  it('renders the demand’s variables and lays out headings, bold lines, paragraphs and <br>', () => {
    const rendered = renderDocumentTemplate(
      { title: 'Attestation {{demand.trackingCode}}', body: '# Titre\nBonjour {{form.nom}},<br>suite.\n\n## Détail\n**Important**\n<b>Aussi</b>\n<p>Fin</p><i>tel quel</i>' },
      { demand: { trackingCode: 'ABC-123' }, form: { nom: '# pas un titre' } },
    );
    expect(rendered.title).toBe('Attestation ABC-123');
    expect(rendered.lines).toEqual([
      { text: 'Titre', bold: true, size: 16, spaceBefore: 12 },
      { text: 'Bonjour # pas un titre,', spaceBefore: 0 },
      { text: 'suite.', spaceBefore: 0 },
      { text: 'Détail', bold: true, size: 13, spaceBefore: 10 },
      { text: 'Important', bold: true, spaceBefore: 0 },
      { text: 'Aussi', bold: true, spaceBefore: 0 },
      { text: 'Fin', spaceBefore: 8 },
      { text: '<i>tel quel</i>', spaceBefore: 8 },
    ]);
  });

  it('is validated with the workflow: syntax errors with their line and path, a written document needs « personnalise »', () => {
    const invalid = validateWorkflowDefinition(workflowWith(doc({ documentTemplate: 'personnalise', template: { title: 'T', body: 'ligne 1\n{{#if form.x}}\nsans fin' } })));
    expect(invalid.ok).toBe(false);
    const errors = invalid.ok ? [] : invalid.errors;
    expect(errors).toEqual([
      { path: '/statuses/0/actions/0/template/body', code: 'TEMPLATE_SYNTAX', message: expect.stringMatching(/^Modèle invalide : erreur de syntaxe à la ligne \d+/) },
    ]);
    const missing = validateWorkflowDefinition(workflowWith(doc({ documentTemplate: 'personnalise' })));
    expect(missing.ok ? [] : missing.errors.map((e) => [e.path, e.code])).toEqual([['/statuses/0/actions/0/template', 'REQUIRED']]);
    const unused = validateWorkflowDefinition(workflowWith(doc({ documentTemplate: 'decision', template: { title: 'T', body: 'B' } })));
    expect(unused.ok ? [] : unused.errors.map((e) => [e.path, e.code])).toEqual([['/statuses/0/actions/0/documentTemplate', 'TEMPLATE_UNUSED']]);
    const empty = validateWorkflowDefinition(workflowWith(doc({ documentTemplate: 'personnalise', template: { title: ' ', body: 'B' } })));
    expect(empty.ok ? [] : empty.errors.map((e) => [e.path, e.code])).toEqual([['/statuses/0/actions/0/template/title', 'REQUIRED']]);
    expect(validateWorkflowDefinition(workflowWith(doc({ documentTemplate: 'personnalise', template: { title: 'T', body: 'Bonjour {{form.nom}}' } }))).ok).toBe(true);
  });
});
