import type { BoundaryGeometry, BoundingBox } from '#territory';
import { classifyInRing, flattenRing, inBox, ringBoundingBox, type FlatRing } from './planar.js';

/**
 * The metropolis' outline, derived from its communes' boundaries (the metropolis has no boundary of
 * its own). The communes' boundaries share their vertices along common borders (the boundaries file
 * was simplified preserving topology), so an edge used by two communes is interior; the edges used by
 * one commune form the boundary of the union. Chained into rings, they give:
 * - outer rings (nesting depth even): the metropolis' outline;
 * - holes (depth odd): places inside the outline that belong to no commune — with the 2018 boundaries,
 *   former Pierre-Bénite (merged into Oullins-Pierre-Bénite, 69149, in 2024). Each hole knows the
 *   communes around it, the natural candidates when the citizen must choose.
 * If a future boundaries file did not share vertices, every commune would become its own outer ring:
 * no hole would be found and slivers between communes would read as outside (the spec on the
 * reference data checks the expected shape: one outline, one hole).
 */
export interface OutlineRing {
  ring: FlatRing;
  bbox: BoundingBox;
  /** INSEE codes of the communes whose edges make up this ring, sorted. */
  communes: string[];
}

export interface TerritoryOutline {
  outer: OutlineRing[];
  holes: OutlineRing[];
  bbox: BoundingBox;
}

interface Edge {
  a: string;
  b: string;
  owner: string;
}

const vertexKey = (x: number, y: number) => `${x},${y}`;

export function buildOutline(communes: readonly { inseeCode: string; boundary: BoundaryGeometry }[]): TerritoryOutline {
  const edges = new Map<string, Edge & { count: number }>();
  const coordinates = new Map<string, [number, number]>();
  for (const { inseeCode, boundary } of communes) {
    const polygons = boundary.type === 'Polygon' ? [boundary.coordinates] : boundary.coordinates;
    for (const polygon of polygons) {
      for (const ring of polygon) {
        for (let i = 0; i < ring.length - 1; i++) {
          const a = vertexKey(ring[i][0], ring[i][1]);
          const b = vertexKey(ring[i + 1][0], ring[i + 1][1]);
          if (a === b) continue;
          coordinates.set(a, [ring[i][0], ring[i][1]]);
          coordinates.set(b, [ring[i + 1][0], ring[i + 1][1]]);
          const key = a < b ? `${a}|${b}` : `${b}|${a}`;
          const edge = edges.get(key);
          if (edge) edge.count++;
          else edges.set(key, { a, b, owner: inseeCode, count: 1 });
        }
      }
    }
  }

  // Adjacency over the edges used once.
  const adjacency = new Map<string, Edge[]>();
  for (const edge of edges.values()) {
    if (edge.count !== 1) continue;
    for (const end of [edge.a, edge.b]) {
      const list = adjacency.get(end) ?? [];
      list.push(edge);
      adjacency.set(end, list);
    }
  }

  // Chain them into closed rings (a vertex touching several rings is left by any unused edge).
  const used = new Set<Edge>();
  const rings: { ring: FlatRing; communes: string[] }[] = [];
  for (const [start, startEdges] of [...adjacency].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const first of startEdges) {
      if (used.has(first)) continue;
      const path: [number, number][] = [coordinates.get(start)!];
      const owners = new Set<string>();
      let at = start;
      let edge: Edge | undefined = first;
      while (edge) {
        used.add(edge);
        owners.add(edge.owner);
        at = edge.a === at ? edge.b : edge.a;
        path.push(coordinates.get(at)!);
        if (at === start) break;
        edge = adjacency.get(at)!.find((e) => !used.has(e));
      }
      if (path.length >= 4 && at === start) rings.push({ ring: flattenRing(path), communes: [...owners].sort() });
    }
  }

  // Nesting depth of each ring, tested at the middle of its first edge (not a vertex another ring may share).
  const outer: OutlineRing[] = [];
  const holes: OutlineRing[] = [];
  for (const candidate of rings) {
    const x = (candidate.ring[0] + candidate.ring[2]) / 2;
    const y = (candidate.ring[1] + candidate.ring[3]) / 2;
    const depth = rings.filter((other) => other !== candidate && classifyInRing(other.ring, x, y) === 'inside').length;
    const entry = { ...candidate, bbox: ringBoundingBox(candidate.ring) };
    (depth % 2 === 0 ? outer : holes).push(entry);
  }

  const bbox: BoundingBox = { minLon: Infinity, minLat: Infinity, maxLon: -Infinity, maxLat: -Infinity };
  for (const { bbox: b } of outer) {
    bbox.minLon = Math.min(bbox.minLon, b.minLon);
    bbox.minLat = Math.min(bbox.minLat, b.minLat);
    bbox.maxLon = Math.max(bbox.maxLon, b.maxLon);
    bbox.maxLat = Math.max(bbox.maxLat, b.maxLat);
  }
  return { outer, holes, bbox };
}

/** Inside (or on) one of the outline's outer rings, ignoring holes. */
export function insideOutline(outline: TerritoryOutline, x: number, y: number): boolean {
  return outline.outer.some((o) => inBox(o.bbox, x, y) && classifyInRing(o.ring, x, y) !== 'outside');
}

/** The hole of the outline containing the point, if any. */
export function holeAt(outline: TerritoryOutline, x: number, y: number): OutlineRing | undefined {
  return outline.holes.find((h) => inBox(h.bbox, x, y) && classifyInRing(h.ring, x, y) !== 'outside');
}
