import { describe, expect, it } from '@jest/globals';
import { applyInputs, assignErrors, parseOptions, renderInputs } from './builder-inputs.js';
import { actionForEditing, actionSpecs, fieldSpecs, tidyAction, tidyField } from './builder-specs.js';

describe('builder inputs', () => {
  it('reads « valeur | libellé » lines, deriving a value from a lone label', () => {
    expect(parseOptions('fleurs | Des fleurs\n\n  Plantes grimpantes  \n| Écoles élémentaires')).toEqual([
      { value: 'fleurs', label: 'Des fleurs' },
      { value: 'plantes_grimpantes', label: 'Plantes grimpantes' },
      { value: 'ecoles_elementaires', label: 'Écoles élémentaires' },
    ]);
  });

  it('writes a field from its form: empty optional inputs remove the property, booleans and numbers are typed', () => {
    const field: Record<string, unknown> = { type: 'text', id: 'nom', label: 'Nom', hint: 'ancienne aide', maxLength: 50 };
    const errors = applyInputs(fieldSpecs('text'), field, { id: 'nom_famille', label: 'Nom de famille', hint: '', required: 'oui', maxLength: '80', 'prefill.attribute': 'family_name' });
    tidyField(field);
    expect(errors.size).toBe(0);
    expect(field).toEqual({ type: 'text', id: 'nom_famille', label: 'Nom de famille', required: true, maxLength: 80, prefill: { from: 'profile', attribute: 'family_name' } });
  });

  it('refuses what the definition cannot hold, without changing the property', () => {
    const field: Record<string, unknown> = { type: 'number', id: 'n', label: 'N', min: 1 };
    const errors = applyInputs(fieldSpecs('number'), field, { id: 'n', label: 'N', min: 'un', step: '0,5' });
    expect([...errors]).toEqual([['min', 'Saisissez un nombre.']]);
    expect(field.min).toBe(1);
    expect(field.step).toBe(0.5);
  });

  it('puts each definition error on the input with the longest matching path', () => {
    const specs = fieldSpecs('choice');
    const { byInput, other } = assignErrors(specs, [
      { path: '/options/1/value', code: 'DUPLICATE_OPTION', message: 'Valeur « a » en double.' },
      { path: '/prefill/attribute', code: 'INVALID', message: 'Attribut inconnu.' },
      { path: '/somethingElse', code: 'UNKNOWN_PROPERTY', message: 'Propriété inconnue « somethingElse ».' },
    ]);
    expect(Object.fromEntries(byInput)).toEqual({ options: 'Valeur « a » en double.', 'prefill.attribute': 'Attribut inconnu.' });
    expect(other).toEqual(['Propriété inconnue « somethingElse ».']);
    const rendered = renderInputs('f', specs, { type: 'choice', id: 'x', label: 'X', options: [{ value: 'a', label: 'A' }] }, byInput);
    expect(rendered.find((input) => input.name === 'options')).toMatchObject({ id: 'f-options', value: 'a | A', error: 'Valeur « a » en double.', isMultiline: true });
  });

  it('edits an automatic jump’s trigger as separate inputs and writes it back in the workflow’s shape', () => {
    const choices = { statuses: [{ value: 'closed', label: 'Close' }], functions: [] };
    const editing = actionForEditing({ id: 'relance', kind: 'auto_jump', trigger: { atDateField: 'date_rdv', offset: '-P1D' }, target: 'closed' });
    expect(editing.trigger).toEqual({ kind: 'atDateField', atDateField: 'date_rdv', offset: '-P1D' });
    applyInputs(actionSpecs('auto_jump', choices), editing, { id: 'relance', 'trigger.kind': 'afterDelay', 'trigger.afterDelay': '86400', target: 'closed' });
    expect(tidyAction(editing)).toEqual({ id: 'relance', kind: 'auto_jump', trigger: { afterDelay: 86400 }, target: 'closed' });
  });

  it('edits a technical action kind as the JSON of its options', () => {
    const editing = actionForEditing({ id: 'ws', kind: 'webservice', url: 'https://api.example.org', method: 'GET' });
    const errors = applyInputs(actionSpecs('webservice', { statuses: [], functions: [] }), editing, { id: 'ws', options: '{"url": "https://api.example.org/v2", "method": "POST"}', condition: '' });
    expect(errors.size).toBe(0);
    expect(tidyAction(editing)).toEqual({ id: 'ws', kind: 'webservice', url: 'https://api.example.org/v2', method: 'POST' });
  });
});
