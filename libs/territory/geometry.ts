/** GeoJSON geometry of a collectivity's boundary, longitude first (RFC 7946), WGS 84. */
export type Position = [longitude: number, latitude: number];

export interface PolygonGeometry {
  type: 'Polygon';
  /** Outer ring first, then holes; each ring closed (first position = last position). */
  coordinates: Position[][];
}

export interface MultiPolygonGeometry {
  type: 'MultiPolygon';
  coordinates: Position[][][];
}

export type BoundaryGeometry = PolygonGeometry | MultiPolygonGeometry;

/** Axis-aligned bounding box, stored next to the boundary so a point lookup can prefilter in SQL. */
export interface BoundingBox {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

function polygons(geometry: BoundaryGeometry): Position[][][] {
  return geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
}

export function boundingBox(geometry: BoundaryGeometry): BoundingBox {
  const box: BoundingBox = { minLon: Infinity, minLat: Infinity, maxLon: -Infinity, maxLat: -Infinity };
  for (const polygon of polygons(geometry)) {
    for (const ring of polygon) {
      for (const [lon, lat] of ring) {
        if (lon < box.minLon) box.minLon = lon;
        if (lon > box.maxLon) box.maxLon = lon;
        if (lat < box.minLat) box.minLat = lat;
        if (lat > box.maxLat) box.maxLat = lat;
      }
    }
  }
  if (!Number.isFinite(box.minLon)) throw new Error('Géométrie sans aucun point : emprise impossible à calculer.');
  return box;
}

/** Inclusive: a point on the box's edge is inside. */
export function bboxContains(box: BoundingBox, [lon, lat]: Position): boolean {
  return lon >= box.minLon && lon <= box.maxLon && lat >= box.minLat && lat <= box.maxLat;
}

/** Ray casting (even-odd) on one ring. */
function ringContains(ring: Position[], [lon, lat]: Position): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Whether a point lies inside the geometry (inside an outer ring and in none of its holes).
 * Planar test on longitude/latitude: exact enough at a commune's scale.
 */
export function geometryContains(geometry: BoundaryGeometry, point: Position): boolean {
  return polygons(geometry).some(
    ([outer, ...holes]) => outer !== undefined && ringContains(outer, point) && !holes.some((hole) => ringContains(hole, point)),
  );
}
