import { describe, expect, it } from '@jest/globals';
import { geometryContains, loadReferenceTerritory, type BoundaryGeometry, type Position } from '#territory';
import { RoutingTable } from './routing-table.js';

const table = RoutingTable.fromReference(loadReferenceTerritory());
const at = (lon: number, lat: number) => table.communeAt(lon, lat);
const nameAt = (lon: number, lat: number) => {
  const where = at(lon, lat);
  return where.kind === 'commune' ? where.commune.name : where.kind;
};

/** A point inside a polygon: the middle of the widest inside span of a horizontal line across it. */
function interiorPoint(boundary: BoundaryGeometry): Position {
  const rings = boundary.type === 'Polygon' ? boundary.coordinates : boundary.coordinates.flat();
  const lats = rings.flat().map(([, lat]) => lat);
  const [minLat, maxLat] = [Math.min(...lats), Math.max(...lats)];
  let best: { width: number; point: Position } = { width: -1, point: [0, 0] };
  for (const f of [0.5, 0.37, 0.63, 0.23, 0.77]) {
    const y = minLat + f * (maxLat - minLat) + 1.234e-7;
    const xs: number[] = [];
    for (const ring of rings) {
      for (let i = 0; i < ring.length - 1; i++) {
        const [[x1, y1], [x2, y2]] = [ring[i], ring[i + 1]];
        if (y1 > y !== y2 > y) xs.push(x1 + ((y - y1) * (x2 - x1)) / (y2 - y1));
      }
    }
    xs.sort((a, b) => a - b);
    for (let i = 0; i + 1 < xs.length; i += 2) {
      if (xs[i + 1] - xs[i] > best.width) best = { width: xs[i + 1] - xs[i], point: [(xs[i] + xs[i + 1]) / 2, y] };
    }
  }
  return best.point;
}

/** Seeded pseudo-random numbers (mulberry32): the same points at every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('point → commune', () => {
  it('finds known places: Givors town hall, place Bellecour (Lyon), Villeurbanne, Bron', () => {
    expect(nameAt(4.7693, 45.5906)).toBe('Givors');
    expect(nameAt(4.832, 45.7578)).toBe('Lyon');
    expect(nameAt(4.8799, 45.7665)).toBe('Villeurbanne');
    expect(nameAt(4.9105, 45.7385)).toBe('Bron');
    expect(at(4.832, 45.7578)).toMatchObject({ kind: 'commune', commune: { inseeCode: '69123', siren: '216901231' }, borderWith: [] });
  });

  it('finds each of the 58 communes at an interior point of its polygon', () => {
    expect(table.communes).toHaveLength(58);
    for (const commune of table.communes) {
      const point = interiorPoint(commune.boundary);
      expect(geometryContains(commune.boundary, point)).toBe(true);
      const where = at(...point);
      expect({ insee: commune.inseeCode, where: where.kind === 'commune' ? where.commune.inseeCode : where.kind }).toEqual({
        insee: commune.inseeCode,
        where: commune.inseeCode,
      });
    }
  });

  it('puts points of the Rhône outside the metropolis (Villefranche-sur-Saône, Brignais) and far away points too', () => {
    expect(at(4.7186, 45.9893)).toEqual({ kind: 'outside', outside: true });
    expect(at(4.7536, 45.6739)).toEqual({ kind: 'outside', outside: true });
    expect(at(2.3522, 48.8566)).toEqual({ kind: 'outside', outside: true });
    // Inside the territory's bounding box but outside its outline (south-west corner).
    expect(at(4.7, 45.56)).toEqual({ kind: 'outside', outside: true });
  });

  it('reports former Pierre-Bénite as a gap with the communes around it, never as a wrong commune', () => {
    const where = at(4.826, 45.703);
    expect(where.kind).toBe('gap');
    if (where.kind !== 'gap') return;
    expect(where.around.map((c) => c.name).sort()).toEqual(['Irigny', 'Lyon', 'Oullins-Pierre-Bénite', 'Saint-Fons', 'Saint-Genis-Laval']);
    // Independent check: no boundary of the reference data contains it.
    expect(table.communes.filter((c) => geometryContains(c.boundary, [4.826, 45.703]))).toEqual([]);
  });

  it('derives the outline: one outer ring and one hole (former Pierre-Bénite), as the 2018 boundaries imply', () => {
    expect(table.index.outline.outer).toHaveLength(1);
    expect(table.index.outline.holes).toHaveLength(1);
    expect(table.index.outline.holes[0].communes).toEqual(['69100', '69123', '69149', '69199', '69204']);
  });

  it('breaks ties on a shared border by the lowest INSEE code, listing the other communes', () => {
    // Every edge shared by two communes, at its middle.
    const owners = new Map<string, { a: Position; b: Position; codes: string[] }>();
    for (const c of table.communes) {
      const ring = (c.boundary.type === 'Polygon' ? c.boundary.coordinates : c.boundary.coordinates.flat())[0];
      for (let i = 0; i < ring.length - 1; i++) {
        const [p, q] = [ring[i].join(), ring[i + 1].join()];
        const key = p < q ? `${p}|${q}` : `${q}|${p}`;
        const entry = owners.get(key) ?? { a: ring[i], b: ring[i + 1], codes: [] };
        entry.codes.push(c.inseeCode);
        owners.set(key, entry);
      }
    }
    const shared = [...owners.values()].filter((e) => e.codes.length === 2);
    expect(shared.length).toBeGreaterThan(500);
    for (const { a, b, codes } of shared) {
      const where = at((a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
      const [low, high] = [...codes].sort();
      expect(where.kind === 'commune' && [where.commune.inseeCode, where.borderWith.map((c) => c.inseeCode)]).toEqual([low, [high]]);
    }
    // Edges of the outline belong to one commune: a point on them is that commune's, without tie.
    for (const { a, b, codes } of [...owners.values()].filter((e) => e.codes.length === 1)) {
      const where = at((a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
      expect(where.kind === 'commune' && [where.commune.inseeCode, where.borderWith.length]).toEqual([codes[0], 0]);
    }
  });

  it('breaks ties at a vertex shared by three communes the same way', () => {
    const byVertex = new Map<string, Set<string>>();
    for (const c of table.communes) {
      const ring = (c.boundary.type === 'Polygon' ? c.boundary.coordinates : c.boundary.coordinates.flat())[0];
      for (const point of ring) byVertex.set(point.join(), (byVertex.get(point.join()) ?? new Set()).add(c.inseeCode));
    }
    const triple = [...byVertex].filter(([, codes]) => codes.size >= 3);
    expect(triple.length).toBeGreaterThan(10);
    for (const [vertex, codes] of triple) {
      const [lon, lat] = vertex.split(',').map(Number);
      const [first, ...others] = [...codes].sort();
      const where = at(lon, lat);
      expect(where.kind === 'commune' && [where.commune.inseeCode, where.borderWith.map((c) => c.inseeCode).sort()]).toEqual([first, others]);
    }
  });

  it('agrees with a naive scan of every polygon on 20,000 random points of the bounding box', () => {
    const next = random(42);
    const { minLon, maxLon, minLat, maxLat } = table.index.outline.bbox;
    const tally = { commune: 0, outside: 0, gap: 0 };
    for (let i = 0; i < 20_000; i++) {
      const point: Position = [minLon + next() * (maxLon - minLon), minLat + next() * (maxLat - minLat)];
      const naive = table.communes.filter((c) => geometryContains(c.boundary, point));
      const where = at(...point);
      tally[where.kind]++;
      if (naive.length === 1) expect(where.kind === 'commune' && where.commune.inseeCode).toBe(naive[0].inseeCode);
      else expect(naive).toEqual([]);
      if (naive.length === 0) expect(where.kind).not.toBe('commune');
      if (where.kind === 'gap') expect(table.index.outline.holes[0].bbox.minLat).toBeLessThanOrEqual(point[1]);
    }
    expect(tally.commune).toBeGreaterThan(5_000);
    expect(tally.outside).toBeGreaterThan(5_000);
    expect(tally.gap).toBeGreaterThan(0);
  });

  it('answers the same whatever the grid size (the grid only narrows the candidates)', () => {
    const coarse = RoutingTable.fromReference(loadReferenceTerritory(), { gridSize: 1 });
    const next = random(7);
    const { minLon, maxLon, minLat, maxLat } = table.index.outline.bbox;
    for (let i = 0; i < 2_000; i++) {
      const [lon, lat] = [minLon + next() * (maxLon - minLon), minLat + next() * (maxLat - minLat)];
      expect(JSON.stringify(coarse.communeAt(lon, lat))).toBe(JSON.stringify(at(lon, lat)));
    }
    expect(table.index.cellStats().max).toBeLessThanOrEqual(10);
  });
});
