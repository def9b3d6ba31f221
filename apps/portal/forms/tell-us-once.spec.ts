import { describe, expect, it } from '@jest/globals';
import type { PageDefinition } from '#forms';
import { authorizationScopeOf, mandatesOf, offersMandateChoice, offersOf, offersScope, releaseKey, releasedAttributes, scopesOfPage } from './tell-us-once.js';

const page = {
  id: 'p',
  title: 'P',
  fields: [
    { id: 'qf', type: 'number', label: 'Quotient', prefill: { from: 'profile', attribute: 'quotient_familial', lockedWhenCertified: true } },
    { id: 'siret', type: 'text', label: 'SIRET', prefill: { from: 'profile', attribute: 'company.siret', lockedWhenCertified: true } },
    { id: 'nom', type: 'text', label: 'Nom', prefill: { from: 'profile', attribute: 'company.denomination', lockedWhenCertified: true } },
    { id: 'prenom', type: 'text', label: 'Prénom', prefill: { from: 'profile', attribute: 'given_name' } },
  ],
} as unknown as PageDefinition;
const ctx = { loggedIn: true, certified: true, key: 'k', here: '/demarches/a/b/formulaire/nouveau/etape/p', accountUrl: 'https://compte.example/compte' };
const MANDATES = [
  { siren: '903124659', siret: '90312465900017', denomination: 'MERCIER TRANSPORTS', role: 'dirigeant', depuis: '2026-01-01' },
  { siren: '1', siret: 'pas un siret', denomination: 'X', role: 'mandataire' },
];

describe('« Dites-le-nous une fois » in the portal’s forms', () => {
  it('keeps only the values a form prefills from the released claims', () => {
    const attributes = releasedAttributes({
      quotient_familial: { status: 'released', claim: { valeur: 350, source: 'CAF', mois: '2026-10', date: 'x' }, at: 1 },
      droits_sociaux: { status: 'released', claim: { complementaire_sante_solidaire: { beneficiaire: true }, revenu_solidarite_active: { beneficiaire: false } }, at: 1 },
      mandats: { status: 'released', claim: MANDATES, choice: '90312465900017', at: 1 },
    });
    expect(attributes).toEqual({ quotient_familial: 350, 'droits_sociaux.c2s': true, 'droits_sociaux.rsa': false, 'company.siret': '90312465900017', 'company.denomination': 'MERCIER TRANSPORTS' });
    expect(releasedAttributes({ quotient_familial: { status: 'refused', at: 1 }, mandats: { status: 'released', claim: MANDATES, choice: 'pas un siret', at: 1 } })).toEqual({});
    expect(releasedAttributes({ quotient_familial: { status: 'released', claim: { valeur: '350' }, at: 1 } })).toEqual({});
  });

  it('lists the well-formed mandates only, and the page’s scopes in order', () => {
    expect(mandatesOf({ status: 'released', claim: MANDATES, at: 1 })).toEqual([{ siren: '903124659', siret: '90312465900017', denomination: 'MERCIER TRANSPORTS', role: 'dirigeant' }]);
    expect(scopesOfPage(page)).toEqual(['quotient_familial', 'mandats']);
    expect(releaseKey('t', 'nouveau')).toBe('nouveau:t');
    expect(releaseKey('t', 'abc')).toBe('abc');
  });

  it('offers a button of the page form to ask, says why there is nothing, and the mandate choice', () => {
    const offers = offersOf(page, {}, ctx);
    const [quotient, mandates] = offers;
    expect(quotient).toEqual({
      scope: 'quotient_familial',
      button: 'Récupérer mon quotient familial auprès de la CAF',
      action: 'autorisation:quotient_familial',
      href: `/auth/autorisation?portee=quotient_familial&cle=k&returnTo=${encodeURIComponent(ctx.here)}`,
    });
    expect(offersScope(offers, 'quotient_familial')).toBe(true);
    expect(offersScope(offers, 'droits_sociaux')).toBe(false);
    expect(offersScope(offersOf(page, { quotient_familial: { status: 'released', claim: { valeur: 350 }, at: 1 } }, ctx), 'quotient_familial')).toBe(false);
    expect(offersScope(offersOf(page, {}, { ...ctx, certified: false }), 'quotient_familial')).toBe(false);
    expect(authorizationScopeOf('autorisation:mandats')).toBe('mandats');
    expect(authorizationScopeOf('continue')).toBeNull();
    expect(authorizationScopeOf(['autorisation:mandats'])).toBeNull();
    expect(mandates!.button).toBe('Choisir l’entreprise ou l’association pour laquelle j’agis');
    expect(offersOf(page, {}, { ...ctx, loggedIn: false })).toEqual([]);
    expect(offersOf(page, {}, { ...ctx, certified: false })[0]!.message).toContain('quand votre identité est certifiée par FranceConnect');
    expect(offersOf(page, { quotient_familial: { status: 'refused', at: 1 } }, ctx)[0]!.message).toContain('Vous n’avez pas autorisé la transmission de votre quotient familial.');
    expect(offersOf(page, { quotient_familial: { status: 'unavailable', at: 1 } }, ctx)[0]!.message).toContain('ne répond pas pour le moment');
    const chosen = offersOf(page, { mandats: { status: 'released', claim: MANDATES, choice: '90312465900017', at: 1 } }, ctx)[1]!;
    expect(chosen.chooseAction).toBe('mandat');
    expect(offersMandateChoice([chosen])).toBe(true);
    expect(offersMandateChoice(offersOf(page, {}, ctx))).toBe(false);
    expect(chosen.mandates).toEqual([{ siret: '90312465900017', id: 'mandat-0', checked: true, label: 'Agir pour : MERCIER TRANSPORTS (SIRET 903 124 659 00017)' }]);
    const none = offersOf(page, { mandats: { status: 'released', claim: [], at: 1 } }, ctx)[1]!;
    expect(none).toMatchObject({ professionalUrl: 'https://compte.example/compte/professionnel', message: expect.stringContaining('Vous n’avez aucun mandat actif') });
  });
});
