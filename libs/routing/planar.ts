import type { BoundaryGeometry, BoundingBox } from '#territory';

/**
 * Planar point location on longitude/latitude, with the border made explicit: `geometryContains`
 * (#territory) answers inside/outside by ray casting, whose answer for a point exactly on an edge
 * depends on the edge's direction; routing needs to know a point is on a border to apply a
 * deterministic tie-break. Rings are flattened into Float64Arrays ([x0, y0, x1, y1, …], closed).
 */

/** Distance (in degrees, ≈ 0.1 mm) under which a point counts as on an edge. */
export const BORDER_TOLERANCE = 1e-9;

export type PointClass = 'inside' | 'border' | 'outside';

export type FlatRing = Float64Array;
/** Outer ring first, then holes. */
export type FlatPolygon = FlatRing[];

export function flattenRing(ring: readonly (readonly number[])[]): FlatRing {
  const flat = new Float64Array(ring.length * 2);
  ring.forEach(([x, y], i) => {
    flat[2 * i] = x;
    flat[2 * i + 1] = y;
  });
  return flat;
}

export function flattenGeometry(geometry: BoundaryGeometry): FlatPolygon[] {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  return polygons.map((polygon) => polygon.map(flattenRing));
}

/** Even-odd ray casting on one closed ring, reporting points within BORDER_TOLERANCE of an edge as `border`. */
export function classifyInRing(ring: FlatRing, x: number, y: number): PointClass {
  let inside = false;
  const n = ring.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const yi = ring[i + 1];
    const yj = ring[j + 1];
    // Most edges are above or below the point: neither a crossing nor a border.
    if (yi > yj ? y > yi + BORDER_TOLERANCE || y < yj - BORDER_TOLERANCE : y > yj + BORDER_TOLERANCE || y < yi - BORDER_TOLERANCE) continue;
    const xi = ring[i];
    const xj = ring[j];
    const dx = xj - xi;
    const dy = yj - yi;
    if (
      x >= (xi < xj ? xi : xj) - BORDER_TOLERANCE &&
      x <= (xi > xj ? xi : xj) + BORDER_TOLERANCE &&
      Math.abs(dx * (y - yi) - dy * (x - xi)) <= BORDER_TOLERANCE * Math.sqrt(dx * dx + dy * dy)
    ) {
      return 'border';
    }
    if (yi > y !== yj > y && x < (dx * (y - yi)) / dy + xi) inside = !inside;
  }
  return inside ? 'inside' : 'outside';
}

/** Inside an outer ring and in none of its holes; `border` on any ring's edge. */
export function classifyInPolygons(polygons: readonly FlatPolygon[], x: number, y: number): PointClass {
  let onBorder = false;
  for (const [outer, ...holes] of polygons) {
    const inOuter = classifyInRing(outer, x, y);
    if (inOuter === 'outside') continue;
    if (inOuter === 'border') {
      onBorder = true;
      continue;
    }
    let inHole = false;
    for (const hole of holes) {
      const c = classifyInRing(hole, x, y);
      if (c === 'border') onBorder = true;
      if (c !== 'outside') inHole = true;
    }
    if (!inHole) return 'inside';
  }
  return onBorder ? 'border' : 'outside';
}

export function ringBoundingBox(ring: FlatRing): BoundingBox {
  const box: BoundingBox = { minLon: Infinity, minLat: Infinity, maxLon: -Infinity, maxLat: -Infinity };
  for (let i = 0; i < ring.length; i += 2) {
    box.minLon = Math.min(box.minLon, ring[i]);
    box.maxLon = Math.max(box.maxLon, ring[i]);
    box.minLat = Math.min(box.minLat, ring[i + 1]);
    box.maxLat = Math.max(box.maxLat, ring[i + 1]);
  }
  return box;
}

export function inBox(box: BoundingBox, x: number, y: number): boolean {
  return x >= box.minLon && x <= box.maxLon && y >= box.minLat && y <= box.maxLat;
}
