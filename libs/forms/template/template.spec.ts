import { describe, expect, it } from '@jest/globals';
import { parseTemplate, TEMPLATE_MAX_OUTPUT } from './template.js';

function render(source: string, scope: Parameters<import('./template.js').CompiledTemplate['render']>[0]) {
  const parsed = parseTemplate(source);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.template.render(scope);
}

describe('templates', () => {
  it('interpolates field, item and profile references with French rendering', () => {
    expect(render('{{ field.nom }} {{field.prenom}}', { field: { nom: 'Martin', prenom: 'Camille' } })).toBe('Martin Camille');
    expect(render('{{ item.age }} ans, {{ field.ok }}, {{ field.jours }}', { item: { age: 7.5 }, field: { ok: true, jours: ['lundi', 'mardi'] } })).toBe('7,5 ans, Oui, lundi, mardi');
    expect(render('{{ profile.family_name }}{{ field.absent }}!', { profile: { family_name: 'Martin' } })).toBe('Martin!');
    expect(render('{{ field.adresse.postcode }}', { field: { adresse: { postcode: '69001' } } })).toBe('69001');
    expect(render('{{ field.obj }}', { field: { obj: { a: 1 } } })).toBe('');
  });

  it('lists its references for definition checks', () => {
    const parsed = parseTemplate('{{ field.a }}-{{ item.b.c }}');
    expect(parsed.ok && parsed.template.references).toEqual([
      { scope: 'field', path: ['a'] },
      { scope: 'item', path: ['b', 'c'] },
    ]);
  });

  it.each(['{{ field.a ', '{{ nom }}', '{{ field.__proto__ }}', '{{ field.constructor.name }}', '{{#each field.x}}', '{{ process.env }}', '{{ field.a | upper }}'])('refuses %s', (source) => {
    const parsed = parseTemplate(source);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.code).toBe('TEMPLATE_SYNTAX');
  });

  it('bounds the source and the output', () => {
    expect(parseTemplate('x'.repeat(2_001)).ok).toBe(false);
    const out = render('{{ field.a }}{{ field.a }}{{ field.a }}', { field: { a: 'y'.repeat(6_000) } });
    expect(out).toHaveLength(TEMPLATE_MAX_OUTPUT);
  });
});
