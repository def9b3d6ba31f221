import { describe, expect, it } from '@jest/globals';
import { bboxContains, boundingBox, geometryContains, type MultiPolygonGeometry, type PolygonGeometry } from './geometry.js';
import { slugify } from './slug.js';

const withHole: PolygonGeometry = {
  type: 'Polygon',
  coordinates: [
    [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
      [0, 0],
    ],
    [
      [4, 4],
      [6, 4],
      [6, 6],
      [4, 6],
      [4, 4],
    ],
  ],
};

describe('geometry', () => {
  it('computes the bounding box of a polygon and of a multipolygon', () => {
    expect(boundingBox(withHole)).toEqual({ minLon: 0, minLat: 0, maxLon: 10, maxLat: 10 });
    const multi: MultiPolygonGeometry = {
      type: 'MultiPolygon',
      coordinates: [
        withHole.coordinates,
        [
          [
            [20, -5],
            [21, -5],
            [21, -4],
            [20, -5],
          ],
        ],
      ],
    };
    expect(boundingBox(multi)).toEqual({ minLon: 0, minLat: -5, maxLon: 21, maxLat: 10 });
  });

  it('tells whether a point is inside, in a hole, or outside', () => {
    expect(geometryContains(withHole, [2, 2])).toBe(true);
    expect(geometryContains(withHole, [5, 5])).toBe(false);
    expect(geometryContains(withHole, [11, 5])).toBe(false);
    expect(bboxContains(boundingBox(withHole), [5, 5])).toBe(true);
    expect(bboxContains(boundingBox(withHole), [10, 10])).toBe(true);
    expect(bboxContains(boundingBox(withHole), [10.0001, 10])).toBe(false);
  });

  it('refuses a geometry without points', () => {
    expect(() => boundingBox({ type: 'MultiPolygon', coordinates: [] })).toThrow(/sans aucun point/);
  });
});

describe('slugify', () => {
  it('keeps ASCII letters and digits, drops accents and punctuation', () => {
    expect(slugify('Métropole de Lyon')).toBe('metropole-de-lyon');
    expect(slugify("Marcy-l'Étoile")).toBe('marcy-l-etoile');
    expect(slugify('Oullins-Pierre-Bénite')).toBe('oullins-pierre-benite');
    expect(slugify('  Œuilly — Cœur  ')).toBe('oeuilly-coeur');
  });
});
