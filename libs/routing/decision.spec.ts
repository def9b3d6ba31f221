import { describe, expect, it } from '@jest/globals';
import { DomainError } from '#core';
import { loadReferenceTerritory } from '#territory';
import { communePhrase, decideRouting } from './decision.js';
import type { GeocodeResult } from './geocoder.js';
import { RoutingTable } from './routing-table.js';
import type { RoutingRule } from './routing.types.js';

const table = RoutingTable.fromReference(loadReferenceTerritory());
const rule = (by: RoutingRule['by'], field = 'lieu'): RoutingRule => ({ by, field });
const names = (list: { name: string }[]) => list.map((c) => c.name);

function ban(citycode: string, score: number, extra: Partial<GeocodeResult> = {}): GeocodeResult {
  return {
    label: `12 rue des Tilleuls ${citycode}`,
    score,
    type: 'housenumber',
    citycode,
    inseeCode: citycode.startsWith('6938') ? '69123' : citycode,
    postcode: null,
    city: 'X',
    position: [4.8, 45.7],
    source: 'ban',
    ...extra,
  };
}

function thrown(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('DomainError attendue');
}

describe('routing by postcode', () => {
  it('routes a postcode served by one commune', () => {
    const decision = decideRouting(rule('postcode', 'codePostal'), '69700', table);
    expect(decision).toEqual({
      rule: { by: 'postcode', field: 'codePostal' },
      outcome: 'routed',
      collectivity: { kind: 'commune', inseeCode: '69091', siren: '216900910', name: 'Givors' },
      candidates: [],
      input: { by: 'postcode', field: 'codePostal', postcode: '69700', commune: { inseeCode: '69091', name: 'Givors' } },
      flags: [],
      disagreements: [],
      reason: 'Votre demande a été transmise à la commune de Givors, compétente pour le code postal 69700.',
    });
    expect(decideRouting(rule('postcode'), '69 002', table).collectivity?.name).toBe('Lyon');
  });

  it.each([
    ['69250', ['Albigny-sur-Saône', "Curis-au-Mont-d'Or", 'Fleurieu-sur-Saône', 'Montanay', 'Neuville-sur-Saône', "Poleymieux-au-Mont-d'Or"]],
    ['69270', ['Cailloux-sur-Fontaines', "Couzon-au-Mont-d'Or", 'Fontaines-Saint-Martin', 'Fontaines-sur-Saône', 'Rochetaillée-sur-Saône', "Saint-Romain-au-Mont-d'Or"]],
    ['69290', ['Craponne', 'Saint-Genis-les-Ollières']],
    ['69330', ['Jonage', 'Meyzieu']],
    ['69390', ['Charly', 'Vernaison']],
    ['69580', ['Sathonay-Camp', 'Sathonay-Village']],
    ['69650', ['Quincieux', "Saint-Germain-au-Mont-d'Or"]],
  ])('never guesses for the shared postcode %s: the citizen chooses among its communes', (postcode, expected) => {
    const decision = decideRouting(rule('postcode'), postcode, table);
    expect(decision).toMatchObject({ outcome: 'needs_choice', collectivity: null, flags: ['ambiguous_postcode'], input: { postcode } });
    expect(decision.input.commune).toBeUndefined();
    expect(names(decision.candidates)).toEqual(expected);
    expect(decision.candidates.every((c) => c.kind === 'commune' && /^69\d{3}$/.test(c.inseeCode!) && /^\d{9}$/.test(c.siren))).toBe(true);
    expect(decision.reason).toBe(`Le code postal ${postcode} correspond à plusieurs communes : choisissez celle qui est concernée.`);
    expect(names(table.communesForPostcode(postcode))).toEqual(expected);
  });

  it('has exactly these seven shared postcodes in the reference data', () => {
    const shared = [...new Set(table.communes.flatMap((c) => c.postcodes))].filter((p) => table.communesForPostcode(p).length > 1).sort();
    expect(shared).toEqual(['69250', '69270', '69290', '69330', '69390', '69580', '69650']);
  });

  it('sends a postcode outside the territory to the metropolis, flagged', () => {
    const decision = decideRouting(rule('postcode'), '69400', table);
    expect(decision).toMatchObject({
      outcome: 'outside_territory',
      collectivity: { kind: 'metropolis', inseeCode: null, siren: '200046977', name: 'Métropole de Lyon' },
      flags: ['outside_territory'],
      reason:
        "Le code postal 69400 ne correspond à aucune commune de la Métropole de Lyon : votre demande a été transmise à la Métropole de Lyon, qui l'orientera.",
    });
  });

  it('refuses a missing or malformed postcode with a field error', () => {
    expect(thrown(() => decideRouting(rule('postcode', 'cp'), undefined, table))).toMatchObject({
      code: 'ROUTING_INPUT_MISSING',
      kind: 'invalid',
      fields: [{ path: 'cp', code: 'REQUIRED' }],
    });
    expect(thrown(() => decideRouting(rule('postcode', 'cp'), '6970', table))).toMatchObject({ code: 'ROUTING_INPUT_INVALID', fields: [{ path: 'cp' }] });
  });
});

describe('routing by explicit commune', () => {
  it('routes to the chosen commune', () => {
    expect(decideRouting(rule('commune', 'commune'), '69081', table)).toMatchObject({
      outcome: 'routed',
      collectivity: { inseeCode: '69081', name: 'Écully' },
      input: { by: 'commune', field: 'commune', commune: { inseeCode: '69081', name: 'Écully' } },
      reason: "Votre demande a été transmise à la commune d'Écully, que vous avez désignée.",
    });
  });

  it('maps an arrondissement code to Lyon and Pierre-Bénite’s former code to Oullins-Pierre-Bénite', () => {
    expect(decideRouting(rule('commune'), '69387', table).collectivity).toMatchObject({ inseeCode: '69123', name: 'Lyon' });
    expect(decideRouting(rule('commune'), '69152', table).collectivity).toMatchObject({ inseeCode: '69149', name: 'Oullins-Pierre-Bénite' });
  });

  it('refuses a commune outside the territory', () => {
    expect(thrown(() => decideRouting(rule('commune', 'commune'), '75056', table))).toMatchObject({
      code: 'ROUTING_COMMUNE_UNKNOWN',
      fields: [{ path: 'commune', code: 'NOT_AN_OPTION' }],
    });
  });
});

describe('routing by map point', () => {
  it('routes a point to the commune containing it', () => {
    expect(decideRouting(rule('map_point', 'position'), { lat: 45.5906, lon: 4.7693 }, table)).toMatchObject({
      outcome: 'routed',
      collectivity: { inseeCode: '69091', name: 'Givors' },
      input: { by: 'map_point', field: 'position', commune: { inseeCode: '69091', name: 'Givors' } },
      flags: [],
      reason: 'Votre demande a été transmise à la commune de Givors, compétente pour ce lieu.',
    });
  });

  it('sends a point outside the territory to the metropolis, flagged', () => {
    expect(decideRouting(rule('map_point'), { lat: 45.6739, lon: 4.7536 }, table)).toMatchObject({
      outcome: 'outside_territory',
      collectivity: { kind: 'metropolis', siren: '200046977' },
      flags: ['outside_territory'],
      reason: "Le lieu indiqué est situé hors du territoire de la Métropole de Lyon : votre demande a été transmise à la Métropole de Lyon, qui l'orientera.",
    });
  });

  it('asks for a choice for a point in former Pierre-Bénite, offering the communes around the gap', () => {
    const decision = decideRouting(rule('map_point'), { lat: 45.703, lon: 4.826 }, table);
    expect(decision).toMatchObject({ outcome: 'needs_choice', collectivity: null, flags: ['boundary_gap'] });
    expect(names(decision.candidates)).toEqual(['Irigny', 'Lyon', 'Oullins-Pierre-Bénite', 'Saint-Fons', 'Saint-Genis-Laval']);
    expect(decision.reason).toMatch(/précisez l'adresse ou choisissez la commune/);
  });

  it('flags a point on a shared border and keeps the lowest INSEE code', () => {
    const lyon = table.communeByInsee('69123')!;
    const villeurbanne = table.communeByInsee('69266')!;
    const ring = (g: typeof lyon.boundary) => (g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0][0]);
    const theirs = new Set(ring(villeurbanne.boundary).map((p) => p.join()));
    const lyonRing = ring(lyon.boundary);
    const i = lyonRing.findIndex((p, k) => k + 1 < lyonRing.length && theirs.has(p.join()) && theirs.has(lyonRing[k + 1].join()));
    const [a, b] = [lyonRing[i], lyonRing[i + 1]];
    const decision = decideRouting(rule('map_point'), { lon: (a[0] + b[0]) / 2, lat: (a[1] + b[1]) / 2 }, table);
    expect(decision).toMatchObject({ outcome: 'routed', collectivity: { inseeCode: '69123' }, flags: ['shared_border'] });
  });

  it('refuses something that is not a point', () => {
    expect(thrown(() => decideRouting(rule('map_point', 'p'), { lat: 'x', lon: 4 }, table))).toMatchObject({ code: 'ROUTING_INPUT_INVALID', fields: [{ path: 'p' }] });
    expect(thrown(() => decideRouting(rule('map_point', 'p'), { lat: 95, lon: 4 }, table))).toMatchObject({ code: 'ROUTING_INPUT_INVALID' });
  });
});

describe('routing by address (geocoding results given)', () => {
  const address = { street: '12 rue des Tilleuls', postcode: '69002', commune: 'Lyon' };

  it('routes to the best result’s commune, an arrondissement citycode standing for Lyon', () => {
    const decision = decideRouting(rule('address', 'adresse'), address, table, { results: [ban('69382', 0.91), ban('69266', 0.4)] });
    expect(decision).toMatchObject({
      outcome: 'routed',
      collectivity: { inseeCode: '69123', name: 'Lyon' },
      input: { by: 'address', field: 'adresse', postcode: '69002', geocoder: 'ban', commune: { inseeCode: '69123', name: 'Lyon' } },
      flags: [],
      reason: 'Votre demande a été transmise à la commune de Lyon, compétente pour ce lieu.',
    });
  });

  it('keeps only the commune and postcode in the decision, never the street', () => {
    const decision = decideRouting(rule('address'), address, table, { results: [ban('69382', 0.91)] });
    expect(JSON.stringify(decision)).not.toMatch(/Tilleuls/i);
  });

  it('ignores results under the score threshold: address not found, choice among the postcode’s communes', () => {
    const decision = decideRouting(rule('address'), { street: 'x', postcode: '69250' }, table, { results: [ban('69143', 0.3)] });
    expect(decision).toMatchObject({ outcome: 'needs_choice', flags: ['address_not_found'] });
    expect(decision.candidates).toHaveLength(6);
    const anywhere = decideRouting(rule('address'), 'quelque part', table, { results: [] });
    expect(anywhere.candidates).toHaveLength(58);
    expect(anywhere.reason).toBe("L'adresse indiquée n'a pas été reconnue : choisissez la commune concernée.");
  });

  it('asks for a choice when results of several communes score alike', () => {
    const decision = decideRouting(rule('address'), 'rue de la République', table, { results: [ban('69382', 0.62), ban('69259', 0.6)] });
    expect(decision).toMatchObject({ outcome: 'needs_choice', flags: ['ambiguous_address'] });
    expect(names(decision.candidates)).toEqual(['Lyon', 'Vénissieux']);
    // Two arrondissements of Lyon are one commune: no ambiguity.
    expect(decideRouting(rule('address'), 'x y z', table, { results: [ban('69382', 0.7), ban('69383', 0.69)] }).outcome).toBe('routed');
  });

  it('sends an address outside the territory to the metropolis', () => {
    expect(decideRouting(rule('address'), 'place de la mairie', table, { results: [ban('69264', 0.9)] })).toMatchObject({
      outcome: 'outside_territory',
      collectivity: { kind: 'metropolis' },
    });
  });

  it('prefers the point placed on the map when it disagrees with the address, and records it', () => {
    const withPoint = { ...address, lat: 45.7665, lon: 4.8799 }; // Villeurbanne
    const decision = decideRouting(rule('address'), withPoint, table, { results: [ban('69382', 0.95)] });
    expect(decision).toMatchObject({
      outcome: 'routed',
      collectivity: { inseeCode: '69266', name: 'Villeurbanne' },
      flags: ['address_point_disagreement', 'address_postcode_disagreement'],
      disagreements: [
        { between: 'address_and_point', address: '69123', point: '69266', kept: 'point' },
        { between: 'address_and_postcode', address: '69266', postcode: '69002', kept: 'address' },
      ],
    });
  });

  it('uses the address when the point falls in the Pierre-Bénite gap', () => {
    const decision = decideRouting(rule('address'), { street: '2 place Jean Jaurès', postcode: '69310', lat: 45.7036, lon: 4.8262 }, table, {
      results: [ban('69149', 0.93)],
    });
    expect(decision).toMatchObject({ outcome: 'routed', collectivity: { inseeCode: '69149' }, flags: ['boundary_gap'], disagreements: [] });
    expect(decision.reason).toBe("Votre demande a été transmise à la commune d'Oullins-Pierre-Bénite, compétente pour ce lieu.");
  });

  it('lets the point settle an ambiguous address', () => {
    const decision = decideRouting(rule('address'), { street: 'rue de la République', lat: 45.6975, lon: 4.8876 }, table, {
      results: [ban('69382', 0.62), ban('69259', 0.6)],
    });
    expect(decision).toMatchObject({ outcome: 'routed', collectivity: { name: 'Vénissieux' } });
  });

  it('says when the offline fallback answered', () => {
    const decision = decideRouting(rule('address'), address, table, { results: [ban('69123', 1, { source: 'offline', position: null })] });
    expect(decision).toMatchObject({ outcome: 'routed', input: { geocoder: 'offline' }, flags: ['geocoder_offline'] });
  });
});

describe('French phrasing', () => {
  it('elides « de » before a vowel', () => {
    expect(communePhrase('Givors')).toBe('la commune de Givors');
    expect(communePhrase('Écully')).toBe("la commune d'Écully");
    expect(communePhrase('Irigny')).toBe("la commune d'Irigny");
    expect(communePhrase('La Mulatière')).toBe('la commune de La Mulatière');
  });
});
