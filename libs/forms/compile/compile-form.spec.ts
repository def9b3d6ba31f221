import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { INSCRIPTION_SCOLAIRE } from '../fixtures/inscription-scolaire.fixture.js';
import { compileForm } from './compile-form.js';
import type { FormProfile, ValidationContext } from './field-validators.js';

const form = compileForm(INSCRIPTION_SCOLAIRE);
const context: ValidationContext = {
  today: '2026-01-15',
  communes: [
    { inseeCode: '69123', name: 'Lyon' },
    { inseeCode: '69091', name: 'Givors' },
  ],
};

const valid = () => ({
  prenom: ' Camille ',
  nom: 'Martin',
  email: 'camille.martin@example.org',
  telephone: '06 12 34 56 78',
  adresse: { street: '1 place de la Comédie', postcode: '69001', commune: 'Lyon', inseeCode: '69123' },
  commune: '69123',
  enfants: [
    { prenom: 'Léa', naissance: '2019-05-02', niveau: 'gs', allergies: 'non' },
    { prenom: 'Tom', naissance: '2021-09-30', niveau: 'ps', allergies: true, pai: 'Arachide' },
  ],
  services: ['cantine'],
  regime: 'standard',
  quotient: '850',
  justificatif: [{ name: 'facture.pdf', size: 120_000, mimeType: 'application/pdf' }],
  attestation: true,
});

function ok(data: unknown, ctx: ValidationContext = context) {
  const result = form.validate(data, ctx);
  if (!result.ok) throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}
function errors(data: unknown, ctx: ValidationContext = context) {
  const result = form.validate(data, ctx);
  if (result.ok) throw new Error('expected errors');
  return result.errors.map((e) => `${e.path} ${e.code}`);
}

describe('compileForm → validate', () => {
  it('cleans a complete submission: normalised values, computed field, definition order', () => {
    const data = ok(valid());
    expect(data).toEqual({
      prenom: 'Camille',
      nom: 'Martin',
      email: 'camille.martin@example.org',
      telephone: '+33612345678',
      adresse: { street: '1 place de la Comédie', postcode: '69001', commune: 'Lyon', inseeCode: '69123' },
      commune: '69123',
      nom_complet: 'Camille Martin',
      enfants: [
        { prenom: 'Léa', naissance: '2019-05-02', niveau: 'gs', allergies: false },
        { prenom: 'Tom', naissance: '2021-09-30', niveau: 'ps', allergies: true, pai: 'Arachide' },
      ],
      services: ['cantine'],
      regime: 'standard',
      quotient: 850,
      justificatif: [{ name: 'facture.pdf', size: 120_000, mimeType: 'application/pdf' }],
      attestation: true,
    });
    expect(Object.keys(data)).toEqual(['prenom', 'nom', 'email', 'telephone', 'adresse', 'commune', 'nom_complet', 'enfants', 'services', 'regime', 'quotient', 'justificatif', 'attestation']);
  });

  it('lists every error of a submission at once with data paths', () => {
    expect(
      errors({
        ...valid(),
        prenom: '',
        telephone: '0612',
        enfants: [{ prenom: 'Léa', naissance: '2026-02-01', niveau: 'zz', allergies: true }],
        regime: undefined,
        justificatif: [{ name: 'a.exe', size: 10, mimeType: 'application/x-msdownload' }],
        attestation: false,
      }),
    ).toEqual([
      'data.prenom REQUIRED',
      'data.telephone INVALID_FORMAT',
      'data.enfants[0].naissance OUT_OF_RANGE',
      'data.enfants[0].niveau NOT_AN_OPTION',
      'data.enfants[0].pai REQUIRED',
      'data.regime REQUIRED',
      'data.justificatif[0] FILE_TYPE_REFUSED',
      'data.attestation REQUIRED',
    ]);
  });

  it('clears fields hidden by a page condition even if sent, and does not validate them', () => {
    const data = ok({ ...valid(), services: ['periscolaire'], regime: 'n’importe quoi', quotient: -5 });
    expect(data).not.toHaveProperty('regime');
    expect(data).not.toHaveProperty('quotient');
    expect(data.services).toEqual(['periscolaire']);
    const none = ok({ ...valid(), services: undefined, regime: 'standard' });
    expect(none).not.toHaveProperty('regime');
  });

  it('applies required only to visible fields: the hidden page’s required field is not asked for', () => {
    const { regime: _regime, quotient: _quotient, ...rest } = valid();
    expect(ok({ ...rest, services: [] })).not.toHaveProperty('regime');
    expect(errors({ ...rest, services: ['cantine'] })).toEqual(['data.regime REQUIRED']);
  });

  it('a field whose condition depends on a hidden or invalid field is hidden too', () => {
    // quotient is shown only when regime has a value; regime is hidden with its page → quotient is cleared.
    expect(ok({ ...valid(), services: ['periscolaire'] })).not.toHaveProperty('quotient');
    // an invalid regime counts as empty for conditions: quotient is hidden and only regime's error is reported
    expect(errors({ ...valid(), regime: 'zz', quotient: 'abc' })).toEqual(['data.regime NOT_AN_OPTION']);
  });

  it('clears a block sub-field hidden by its item’s condition', () => {
    const data = ok({ ...valid(), enfants: [{ prenom: 'Léa', naissance: '2019-05-02', niveau: 'gs', allergies: false, pai: 'sent anyway' }] });
    expect(data.enfants).toEqual([{ prenom: 'Léa', naissance: '2019-05-02', niveau: 'gs', allergies: false }]);
  });

  it('recomputes computed fields server-side, ignoring what the client sent', () => {
    expect(ok({ ...valid(), nom_complet: 'Quelqu’un d’autre' }).nom_complet).toBe('Camille Martin');
  });

  it('refuses unknown keys (including prototype keys) and non-object data', () => {
    const hostile = JSON.parse('{"__proto__": {"admin": true}, "constructor": 1}') as Record<string, unknown>;
    expect(errors({ ...valid(), ...hostile, 'clé bizarre': 1, intro: 'display' })).toEqual([
      'data.__proto__ UNKNOWN_FIELD',
      'data.constructor UNKNOWN_FIELD',
      'data["clé bizarre"] UNKNOWN_FIELD',
      'data.intro UNKNOWN_FIELD',
    ]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    for (const bad of [null, [], 'x', 42]) expect(errors(bad)).toEqual(['data INVALID_TYPE']);
  });

  it('is reusable: one compiled form validates many submissions independently', () => {
    const a = ok(valid());
    const b = ok({ ...valid(), prenom: 'Dominique', services: [] });
    expect(a.prenom).toBe('Camille');
    expect(b.prenom).toBe('Dominique');
    expect(b).not.toHaveProperty('regime');
  });
});

describe('pages', () => {
  it('visiblePages follows page conditions', () => {
    expect(form.visiblePages(valid(), context)).toEqual(['responsable', 'enfants_page', 'restauration', 'pieces']);
    expect(form.visiblePages({ services: ['periscolaire'] }, context)).toEqual(['responsable', 'enfants_page', 'pieces']);
    expect(form.visiblePages(null, context)).toEqual(['responsable', 'enfants_page', 'pieces']);
  });

  it('validatePage checks one page only and returns that page’s cleaned values', () => {
    const page1 = form.validatePage('responsable', { prenom: 'Camille', nom: 'Martin', email: 'c@example.org', adresse: valid().adresse, commune: '69091' }, context);
    expect(page1).toEqual({
      ok: true,
      data: { prenom: 'Camille', nom: 'Martin', email: 'c@example.org', adresse: valid().adresse, commune: '69091', nom_complet: 'Camille Martin' },
    });
    const incomplete = form.validatePage('restauration', { services: ['cantine'], prenom: '' }, context);
    expect(incomplete).toEqual({ ok: false, errors: [expect.objectContaining({ path: 'data.regime', code: 'REQUIRED' })] });
    expect(form.validatePage('restauration', { services: ['periscolaire'], regime: 'x' }, context)).toEqual({ ok: true, data: {} });
    expect(form.validatePage('nope', {}, context)).toEqual({ ok: false, errors: [expect.objectContaining({ path: 'pageId', code: 'UNKNOWN_PAGE' })] });
    expect(form.validatePage('responsable', { inconnu: 1 }, context)).toMatchObject({ ok: false, errors: expect.arrayContaining([expect.objectContaining({ path: 'data.inconnu', code: 'UNKNOWN_FIELD' })]) });
  });
});

describe('summary, listings, anonymisation', () => {
  const data = ok(valid());

  it('summary: label/value pairs in French formatting, blocks as items, inSummary:false excluded', () => {
    const summary = form.summary(data, context);
    expect(summary.map((e) => e.id)).toEqual(['prenom', 'nom', 'email', 'telephone', 'adresse', 'commune', 'enfants', 'services', 'regime', 'quotient', 'justificatif', 'attestation']);
    const byId = Object.fromEntries(summary.map((e) => [e.id, e]));
    expect(byId.adresse.value).toBe('1 place de la Comédie, 69001 Lyon');
    expect(byId.commune.value).toBe('Lyon');
    expect(byId.services).toEqual({ id: 'services', label: 'Services souhaités', value: 'Restauration scolaire' });
    expect(byId.regime.value).toBe('Standard');
    expect(byId.attestation.value).toBe('Oui');
    expect(byId.justificatif.value).toBe('facture.pdf');
    expect(byId.enfants.value).toBe('2 élément(s)');
    expect(byId.enfants.items![1]).toEqual([
      { id: 'prenom', label: 'Prénom', value: 'Tom' },
      { id: 'naissance', label: 'Date de naissance', value: '30/09/2021' },
      { id: 'niveau', label: 'Niveau', value: 'Petite section' },
      { id: 'allergies', label: 'Allergies alimentaires ?', value: 'Oui' },
      { id: 'pai', label: 'Précisez (projet d’accueil individualisé)', value: 'Arachide' },
    ]);
    expect(form.summary(data).find((e) => e.id === 'commune')!.value).toBe('69123'); // without context: the code
  });

  it('summaryLine renders the summary template', () => {
    expect(form.summaryLine(data)).toBe('Inscription demandée par Camille Martin (69123)');
  });

  it('listingValues keeps inListings fields only', () => {
    expect(form.listingValues(data, context)).toEqual([
      { id: 'prenom', label: 'Prénom', value: 'Camille' },
      { id: 'nom', label: 'Nom', value: 'Martin' },
      { id: 'commune', label: 'Commune de scolarisation', value: 'Lyon' },
    ]);
  });

  it('personalFieldIds and anonymise', () => {
    expect(form.personalFieldIds()).toEqual(['prenom', 'nom', 'email', 'telephone', 'adresse', 'nom_complet', 'enfants[].prenom']);
    const anonymous = form.anonymise(data);
    expect(Object.keys(anonymous)).toEqual(['commune', 'enfants', 'services', 'regime', 'quotient', 'justificatif', 'attestation']);
    expect((anonymous.enfants as Record<string, unknown>[]).map((e) => Object.keys(e))).toEqual([
      ['naissance', 'niveau', 'allergies'],
      ['naissance', 'niveau', 'allergies', 'pai'],
    ]);
    expect(data.prenom).toBe('Camille'); // not mutated
  });

  it('externalSources lists what the caller must fetch', () => {
    const withSource = compileForm({
      schemaVersion: 1,
      pages: [
        {
          id: 'p',
          title: 'P',
          fields: [
            { id: 'ecole', type: 'data_source', label: 'École', source: { kind: 'url', url: 'https://x.example/e.json', valuePath: 'id', labelPath: 'nom' } },
            { id: 'b', type: 'block', label: 'B', fields: [{ id: 'coll', type: 'data_source', label: 'C', source: { kind: 'collectivities' } }] },
            { id: 's', type: 'data_source', label: 'S', source: { kind: 'static', options: [{ value: 'a', label: 'A' }] } },
          ],
        },
      ],
    });
    expect(withSource.externalSources()).toEqual([
      { key: 'ecole', source: { kind: 'url', url: 'https://x.example/e.json', valuePath: 'id', labelPath: 'nom' } },
      { key: 'b.coll', source: { kind: 'collectivities' } },
    ]);
  });
});

describe('prefill', () => {
  const certified: FormProfile = { given_name: 'Camille', family_name: 'Martin', email: 'c@example.org', certified: true, address: { street_address: '1 rue A', postal_code: '69001', locality: 'Lyon' } };

  it('returns values from the profile and locks certified identity attributes', () => {
    expect(form.prefill(certified)).toEqual({
      values: { prenom: 'Camille', nom: 'Martin', email: 'c@example.org' },
      locked: ['prenom', 'nom'],
    });
  });

  it('locks nothing when the profile is not certified; certifiedAttributes overrides the default set', () => {
    expect(form.prefill({ ...certified, certified: false }).locked).toEqual([]);
    expect(form.prefill({ ...certified, certifiedAttributes: ['family_name'] }).locked).toEqual(['nom']);
  });

  it('maps the OIDC address claim to the address shape', () => {
    const f = compileForm({
      schemaVersion: 1,
      pages: [{ id: 'p', title: 'P', fields: [{ id: 'adr', type: 'address', label: 'Adresse', prefill: { from: 'profile', attribute: 'address' } }] }],
    });
    expect(f.prefill(certified).values).toEqual({ adr: { street: '1 rue A', postcode: '69001', commune: 'Lyon' } });
  });

  it('validate enforces a locked value: the certified profile value wins over what was sent', () => {
    const data = ok({ ...valid(), prenom: 'Usurpateur' }, { ...context, profile: certified });
    expect(data.prenom).toBe('Camille');
    expect(data.nom_complet).toBe('Camille Martin');
    expect(ok({ ...valid(), prenom: 'Autre' }, { ...context, profile: { ...certified, certified: false } }).prenom).toBe('Autre');
  });

  describe('administration and mandate data', () => {
    const f = compileForm({
      schemaVersion: 1,
      pages: [
        {
          id: 'p',
          title: 'P',
          fields: [
            { id: 'qf', type: 'number', label: 'Quotient familial', required: true, prefill: { from: 'profile', attribute: 'quotient_familial', lockedWhenCertified: true } },
            { id: 'c2s', type: 'yes_no', label: 'C2S', prefill: { from: 'profile', attribute: 'droits_sociaux.c2s', lockedWhenCertified: true } },
            { id: 'siret', type: 'text', label: 'SIRET', prefill: { from: 'profile', attribute: 'company.siret', lockedWhenCertified: true } },
            { id: 'nom', type: 'text', label: 'Dénomination', prefill: { from: 'profile', attribute: 'company.denomination', lockedWhenCertified: true } },
          ],
        },
      ],
    });
    const released: FormProfile = { certified: false, quotient_familial: 350, 'droits_sociaux.c2s': true, 'company.siret': '90312465900017', 'company.denomination': 'MERCIER TRANSPORTS' };

    it('prefills and locks them whenever present, even without a certified identity', () => {
      expect(f.prefill(released)).toEqual({
        values: { qf: 350, c2s: true, siret: '90312465900017', nom: 'MERCIER TRANSPORTS' },
        locked: ['qf', 'c2s', 'siret', 'nom'],
      });
      expect(f.prefill({ certified: true })).toEqual({ values: {}, locked: [] });
    });

    it('accepts the released value (as typed or absent) and refuses a different one', () => {
      expect(accepted({ qf: '350', c2s: 'true', siret: '90312465900017' }, { ...context, profile: released })).toEqual({ qf: 350, c2s: true, siret: '90312465900017', nom: 'MERCIER TRANSPORTS' });
      const tampered = f.validate({ qf: '120', c2s: 'false', siret: '88241751200015', nom: 'MERCIER TRANSPORTS' }, { ...context, profile: released });
      expect(tampered).toMatchObject({ ok: false });
      expect(tampered.ok ? [] : tampered.errors.map((e) => [e.path, e.code])).toEqual([
        ['data.qf', 'PREFILL_LOCKED'],
        ['data.c2s', 'PREFILL_LOCKED'],
        ['data.siret', 'PREFILL_LOCKED'],
      ]);
      // Without released data the person types the value.
      expect(accepted({ qf: '120' }, { ...context, profile: { certified: true } })).toEqual({ qf: 120 });
    });

    function accepted(data: Record<string, unknown>, ctx: ValidationContext) {
      const result = f.validate(data, ctx);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      return result.data;
    }
  });

  it('conditions can read the profile', () => {
    const f = compileForm({
      schemaVersion: 1,
      pages: [{ id: 'p', title: 'P', fields: [{ id: 'piece', type: 'text', label: 'Pièce d’identité', required: true, condition: 'not profile.certified' }] }],
    });
    expect(f.validate({}, { ...context, profile: { certified: true } })).toEqual({ ok: true, data: {} });
    expect(f.validate({}, { ...context, profile: {} })).toMatchObject({ ok: false, errors: [{ path: 'data.piece', code: 'REQUIRED' }] });
  });
});

describe('README', () => {
  it('its complete example is the one the tests validate', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = /<!-- example:start -->\s*```json\n([\s\S]*?)```\s*<!-- example:end -->/.exec(readme);
    expect(block).not.toBeNull();
    expect(JSON.parse(block![1])).toEqual(INSCRIPTION_SCOLAIRE);
  });
});
