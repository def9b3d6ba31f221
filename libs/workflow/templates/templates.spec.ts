import { describe, expect, it } from '@jest/globals';
import { checkTemplate, CompiledTemplate, renderTemplate, textToHtml } from './templates.js';

const variables = {
  demand: { trackingCode: 'AB12-CD34', statusLabel: 'Demande reçue', url: 'https://guichet.example.org/suivi/AB12-CD34?x=1&y=2' },
  form: { nom: '<script>alert("x")</script> & Cie', date_rdv: '2026-07-14T08:30:00Z', motif: "L'eau \"froide\"" },
  collectivity: { name: 'Ville de Givors' },
};

describe('templates', () => {
  it('renders the demand variables as plain text, nothing escaped', () => {
    const template = new CompiledTemplate('Demande {{demand.trackingCode}} ({{demand.statusLabel}}) de {{form.nom}} — {{collectivity.name}}');
    expect(template.text(variables)).toBe('Demande AB12-CD34 (Demande reçue) de <script>alert("x")</script> & Cie — Ville de Givors');
  });

  it('escapes everything in the HTML variant, whatever the braces, and builds paragraphs and links', () => {
    const { html } = renderTemplate('Bonjour {{form.nom}},\n\nTriple : {{{form.nom}}}\nSuivi : {{demand.url}}.', variables);
    expect(html).toBe(
      '<p>Bonjour &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Cie,</p>\n' +
        '<p>Triple : &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Cie<br>\n' +
        'Suivi : <a href="https://guichet.example.org/suivi/AB12-CD34?x=1&amp;y=2">https://guichet.example.org/suivi/AB12-CD34?x=1&amp;y=2</a>.</p>',
    );
    expect(textToHtml('<b>auteur</b>')).toBe('<p>&lt;b&gt;auteur&lt;/b&gt;</p>');
  });

  it('renders missing variables as empty and never reaches prototypes', () => {
    const template = new CompiledTemplate('[{{form.absent}}][{{form.constructor}}][{{form.__proto__}}][{{demand.trackingCode.constructor.name}}]');
    expect(template.text(variables)).toBe('[][][][]');
  });

  it('offers pure helpers: French dates in Europe/Paris, JSON literals, URL components', () => {
    expect(renderTemplate('{{date form.date_rdv}} / {{datetime form.date_rdv}}', variables).text).toBe('14/07/2026 / 14/07/2026 à 10:30');
    expect(renderTemplate('{{date form.nom}}', { form: { nom: 'pas une date' } }).text).toBe('pas une date');
    expect(renderTemplate('{"motif": {{json form.motif}} }', variables).text).toBe('{"motif": "L\'eau \\"froide\\"" }');
    expect(JSON.parse(renderTemplate('{"motif": {{json form.motif}}, "absent": {{json form.absent}} }', variables).text)).toEqual({
      motif: 'L\'eau "froide"',
      absent: null,
    });
    expect(renderTemplate('https://api.example.org/q?nom={{urlencode form.nom}}', variables).text).toBe(
      'https://api.example.org/q?nom=%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E%20%26%20Cie',
    );
  });

  it('supports the built-in blocks', () => {
    const template = new CompiledTemplate('{{#if form.urgent}}URGENT {{/if}}{{#each form.items}}[{{this}}]{{/each}}{{#unless form.urgent}}calme{{/unless}}');
    expect(template.text({ form: { urgent: true, items: ['a', 'b'] } })).toBe('URGENT [a][b]');
    expect(template.text({ form: { urgent: false, items: [] } })).toBe('calme');
  });

  it('refuses syntax errors, unknown helpers, partials and decorators with a French message', () => {
    expect(checkTemplate('Bonjour {{demand.trackingCode}}')).toBeNull();
    expect(checkTemplate('{{#if x}}oui')).toEqual({ code: 'TEMPLATE_SYNTAX', message: "Modèle invalide : erreur de syntaxe à la ligne 1 : une balise ou un bloc n'est pas fermé." });
    expect(checkTemplate('{{#if x}}a{{/each}}')).toEqual({ code: 'TEMPLATE_SYNTAX', message: 'Modèle invalide : le bloc {{#if}} est fermé par {{/each}}.' });
    expect(checkTemplate('{{x}}}')?.message).toBe('Modèle invalide : erreur de syntaxe à la ligne 1 : « }}} » inattendu.');
    expect(checkTemplate('{{log "x"}}')?.code).toBe('TEMPLATE_UNKNOWN_HELPER');
    expect(checkTemplate('{{lookup form "x"}} {{exec "rm"}}')?.code).toBe('TEMPLATE_UNKNOWN_HELPER');
    expect(checkTemplate('{{> header}}')?.code).toBe('TEMPLATE_FORBIDDEN');
    expect(checkTemplate('{{#if a}}{{#> layout}}x{{/layout}}{{/if}}')?.code).toBe('TEMPLATE_FORBIDDEN');
    expect(checkTemplate('{{* deco}}')?.code).toBe('TEMPLATE_FORBIDDEN');
  });
});
