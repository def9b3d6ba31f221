import { describe, expect, it } from '@jest/globals';
import { bboxContains, geometryContains, type Position } from './geometry.js';
import { buildReferenceTerritory, loadReferenceTerritory, ReferenceDataError, type TerritorySources } from './reference-data.js';

const GIVORS_TOWN_HALL: Position = [4.7693, 45.5906];
const PLACE_BELLECOUR: Position = [4.832, 45.7578];

describe('reference territory (Métropole de Lyon)', () => {
  const territory = loadReferenceTerritory();
  const all = [territory.metropolis, ...territory.communes];
  const byInsee = (code: string) => territory.communes.find((c) => c.inseeCode === code);

  it('has 59 collectivities: the metropolis and its 58 communes', () => {
    expect(all).toHaveLength(59);
    expect(territory.communes).toHaveLength(58);
    expect(territory.communes.every((c) => c.kind === 'commune' && /^69[0-9]{3}$/.test(c.inseeCode ?? ''))).toBe(true);
    expect(new Set(all.map((c) => c.siren)).size).toBe(59);
    expect(new Set(all.map((c) => c.slug)).size).toBe(59);
  });

  it('describes the metropolis by its SIREN, without INSEE code, postcode or boundary', () => {
    expect(territory.metropolis).toMatchObject({
      kind: 'metropolis',
      inseeCode: null,
      siren: '200046977',
      name: 'Métropole de Lyon',
      slug: 'metropole-de-lyon',
      postcodes: [],
      boundary: null,
      bbox: null,
    });
    const sum = territory.communes.reduce((total, c) => total + c.population, 0);
    expect(territory.metropolis.population).toBe(sum);
    expect(sum).toBeGreaterThan(1_400_000);
  });

  it('knows Givors: INSEE 69091, SIREN 216900910, postcode 69700', () => {
    expect(byInsee('69091')).toMatchObject({ name: 'Givors', siren: '216900910', slug: 'givors', postcodes: ['69700'] });
    expect(byInsee('69091')!.population).toBeGreaterThan(15_000);
  });

  it('gives Lyon, a single commune, its nine postcodes 69001 to 69009', () => {
    expect(byInsee('69123')).toMatchObject({
      name: 'Lyon',
      postcodes: ['69001', '69002', '69003', '69004', '69005', '69006', '69007', '69008', '69009'],
    });
  });

  it('makes URL-safe slugs from names with accents and apostrophes', () => {
    expect(byInsee('69202')?.slug).toBe('sainte-foy-les-lyon');
    expect(byInsee('69153')?.slug).toBe('poleymieux-au-mont-d-or');
    for (const c of all) expect(c.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('shares postcode 69250 between several communes', () => {
    const sharing = territory.communes.filter((c) => c.postcodes.includes('69250')).map((c) => c.inseeCode);
    expect(sharing.length).toBeGreaterThan(1);
    expect(sharing).toContain('69143'); // Neuville-sur-Saône
  });

  it('gives every commune a polygon and a bounding box containing all its points', () => {
    for (const commune of territory.communes) {
      expect(commune.boundary?.type).toMatch(/^(Multi)?Polygon$/);
      const bbox = commune.bbox!;
      expect(bbox.minLon).toBeLessThan(bbox.maxLon);
      expect(bbox.minLat).toBeLessThan(bbox.maxLat);
      const rings = commune.boundary!.type === 'Polygon' ? commune.boundary!.coordinates : commune.boundary!.coordinates.flat();
      for (const point of rings.flat()) expect(bboxContains(bbox, point)).toBe(true);
      // Tight: each side of the box touches the boundary.
      const points = rings.flat();
      expect(Math.min(...points.map(([lon]) => lon))).toBe(bbox.minLon);
      expect(Math.max(...points.map(([, lat]) => lat))).toBe(bbox.maxLat);
    }
  });

  it("places Givors' town hall inside Givors' boundary and bounding box, and nowhere else", () => {
    const givors = byInsee('69091')!;
    expect(bboxContains(givors.bbox!, GIVORS_TOWN_HALL)).toBe(true);
    expect(geometryContains(givors.boundary!, GIVORS_TOWN_HALL)).toBe(true);
    expect(territory.communes.filter((c) => geometryContains(c.boundary!, GIVORS_TOWN_HALL)).map((c) => c.name)).toEqual(['Givors']);
    expect(bboxContains(givors.bbox!, PLACE_BELLECOUR)).toBe(false);
    expect(territory.communes.filter((c) => geometryContains(c.boundary!, PLACE_BELLECOUR)).map((c) => c.name)).toEqual(['Lyon']);
  });

  it('is read once per process', () => {
    expect(loadReferenceTerritory()).toBe(territory);
  });
});

describe('buildReferenceTerritory refuses inconsistent sources', () => {
  const square = (x: number) => ({
    type: 'Polygon',
    coordinates: [
      [
        [x, 45],
        [x + 1, 45],
        [x + 1, 46],
        [x, 46],
        [x, 45],
      ],
    ],
  });
  const feature = (code: string, geometry: unknown = square(4)) => ({ type: 'Feature', properties: { code }, geometry });
  const sources = (features: unknown[]): TerritorySources => ({
    epci: [
      {
        code: '200000001',
        nom: 'Métropole Test',
        membres: [
          { code: '01001', nom: 'Alpha' },
          { code: '01002', nom: 'Bêta' },
        ],
      },
    ],
    communes: [
      { code: '01001', nom: 'Alpha', type: 'commune-actuelle', siren: '210100012', codesPostaux: ['01400'], population: 800 },
      { code: '01001', nom: 'Alpha ancienne', type: 'commune-deleguee' },
      { code: '01002', nom: 'Bêta', type: 'commune-actuelle', siren: '210100020', codesPostaux: ['01400', '01190'], population: 1200 },
    ],
    boundaries: { type: 'FeatureCollection', features },
  });
  const problemsOf = (run: () => unknown): string[] => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ReferenceDataError);
      return (error as ReferenceDataError).problems;
    }
    throw new Error('ReferenceDataError attendue');
  };

  it('builds consistent sources, with the bounding box of each polygon', () => {
    const built = buildReferenceTerritory(sources([feature('01001'), feature('01002', square(5))]), '200000001');
    expect(built.metropolis).toMatchObject({ siren: '200000001', slug: 'metropole-test', population: 2000 });
    expect(built.communes.map((c) => [c.inseeCode, c.slug, c.postcodes])).toEqual([
      ['01001', 'alpha', ['01400']],
      ['01002', 'beta', ['01190', '01400']],
    ]);
    expect(built.communes[1].bbox).toEqual({ minLon: 5, minLat: 45, maxLon: 6, maxLat: 46 });
  });

  it('names a member commune without boundary, one with two, and a boundary of a non-member', () => {
    const problems = problemsOf(() =>
      buildReferenceTerritory(sources([feature('01002'), feature('01002', square(5)), feature('99999')]), '200000001'),
    );
    expect(problems).toEqual([
      expect.stringContaining('01001 (Alpha) : 0 contour(s)'),
      expect.stringContaining('01002 (Bêta) : 2 contour(s)'),
      expect.stringContaining('contour 99999'),
    ]);
  });

  it('refuses an unclosed or empty ring', () => {
    const open = { type: 'Polygon', coordinates: [[[4, 45], [5, 45], [5, 46], [4, 46]]] };
    const problems = problemsOf(() => buildReferenceTerritory(sources([feature('01001', open), feature('01002')]), '200000001'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/01001 \(Alpha\) : contour invalide/);
  });

  it('refuses an unknown metropolis', () => {
    expect(problemsOf(() => buildReferenceTerritory(sources([]), '123456789'))).toEqual([expect.stringContaining('123456789 introuvable')]);
  });

  it('refuses a member commune missing from communes.json', () => {
    const s = sources([feature('01001'), feature('01002')]);
    s.communes = s.communes.filter((c) => (c as { code: string }).code !== '01002');
    expect(problemsOf(() => buildReferenceTerritory(s, '200000001'))).toEqual([expect.stringContaining('01002 (Bêta) absente de communes.json')]);
  });
});
