import type { BoundaryGeometry, BoundingBox } from '#territory';
import { buildOutline, holeAt, insideOutline, type TerritoryOutline } from './outline.js';
import { classifyInPolygons, flattenGeometry, inBox, type FlatPolygon } from './planar.js';

/** What a commune index needs of a commune. */
export interface LocatableCommune {
  inseeCode: string;
  boundary: BoundaryGeometry;
  bbox: BoundingBox;
}

/**
 * Where a point falls:
 * - `commune`: inside (or on the border of) a commune. On a border shared by several communes, the
 *   one with the lowest INSEE code is chosen (a fixed, documented rule: the same point always goes
 *   to the same commune) and the others are listed in `borderWith`;
 * - `outside`: outside the metropolis' outline;
 * - `gap`: inside the outline but in no commune (former Pierre-Bénite with the 2018 boundaries): the
 *   caller must not guess; `around` lists the communes bordering the gap.
 */
export type PointLocation<C> =
  | { kind: 'commune'; commune: C; borderWith: C[] }
  | { kind: 'outside'; outside: true }
  | { kind: 'gap'; gap: true; around: C[] };

interface Entry<C> {
  commune: C;
  bbox: BoundingBox;
  polygons: FlatPolygon[];
}

export interface CommuneIndexOptions {
  /** Cells per side of the grid over the territory's bounding box. Default 32. */
  gridSize?: number;
}

/**
 * Point → commune, built once from the reference boundaries. A uniform grid over the territory's
 * bounding box lists, per cell, the communes whose bounding box meets the cell (sorted by INSEE
 * code); a lookup tests those bounding boxes, then the exact polygons (ray casting with explicit
 * borders). A point in no commune is then placed against the metropolis' outline: outside or gap.
 * For 58 communes a grid of 32×32 holds 1 to 6 candidates per cell (see bench/routing.ts).
 */
export class CommuneIndex<C extends LocatableCommune> {
  readonly outline: TerritoryOutline;
  private readonly entries: Entry<C>[];
  private readonly byInsee: Map<string, C>;
  private readonly cells: Entry<C>[][];
  /** Per cell, where a point in no commune lies when no outline edge comes near the cell; null: test it. */
  private readonly missState: (null | 'outside' | 'gap')[];
  private readonly gapAround: C[][];
  private readonly size: number;
  private readonly box: BoundingBox;
  private readonly cellWidth: number;
  private readonly cellHeight: number;

  constructor(communes: readonly C[], options: CommuneIndexOptions = {}) {
    this.entries = [...communes]
      .sort((a, b) => (a.inseeCode < b.inseeCode ? -1 : a.inseeCode > b.inseeCode ? 1 : 0))
      .map((commune) => ({ commune, bbox: commune.bbox, polygons: flattenGeometry(commune.boundary) }));
    this.byInsee = new Map(this.entries.map((e) => [e.commune.inseeCode, e.commune]));
    this.outline = buildOutline(this.entries.map((e) => e.commune));
    this.size = options.gridSize ?? 32;
    this.box = this.outline.bbox;
    this.cellWidth = (this.box.maxLon - this.box.minLon) / this.size;
    this.cellHeight = (this.box.maxLat - this.box.minLat) / this.size;
    this.cells = Array.from({ length: this.size * this.size }, () => []);
    for (const entry of this.entries) {
      const [c0, r0] = this.cellOf(entry.bbox.minLon, entry.bbox.minLat);
      const [c1, r1] = this.cellOf(entry.bbox.maxLon, entry.bbox.maxLat);
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) this.cells[r * this.size + c].push(entry);
    }
    // Cells that no outline edge's bounding box reaches lie wholly on one side of the outline: the
    // answer for a point in no commune is the same everywhere in them, computed once at the centre.
    this.gapAround = this.outline.holes.map((h) => h.communes.map((code) => this.byInsee.get(code)!));
    const crossed = new Uint8Array(this.size * this.size);
    for (const { ring } of [...this.outline.outer, ...this.outline.holes]) {
      for (let i = 0; i + 3 < ring.length; i += 2) {
        const [c0, r0] = this.cellOf(Math.min(ring[i], ring[i + 2]), Math.min(ring[i + 1], ring[i + 3]));
        const [c1, r1] = this.cellOf(Math.max(ring[i], ring[i + 2]), Math.max(ring[i + 1], ring[i + 3]));
        for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) crossed[r * this.size + c] = 1;
      }
    }
    this.missState = Array.from({ length: this.size * this.size }, (_, k) => {
      if (crossed[k]) return null;
      const x = this.box.minLon + ((k % this.size) + 0.5) * this.cellWidth;
      const y = this.box.minLat + (Math.floor(k / this.size) + 0.5) * this.cellHeight;
      if (!insideOutline(this.outline, x, y)) return 'outside';
      return holeAt(this.outline, x, y) ? 'gap' : null;
    });
  }

  /** Number of candidate communes per cell: min, mean, max (for the benchmark and the docs). */
  cellStats(): { min: number; mean: number; max: number } {
    const counts = this.cells.map((c) => c.length);
    return { min: Math.min(...counts), mean: counts.reduce((s, n) => s + n, 0) / counts.length, max: Math.max(...counts) };
  }

  /** Locates a WGS 84 point (longitude, latitude). The caller validates the numbers. */
  locate(lon: number, lat: number): PointLocation<C> {
    if (!inBox(this.box, lon, lat)) return { kind: 'outside', outside: true };
    const [c, r] = this.cellOf(lon, lat);
    const border: C[] = [];
    for (const entry of this.cells[r * this.size + c]) {
      if (!inBox(entry.bbox, lon, lat)) continue;
      const where = classifyInPolygons(entry.polygons, lon, lat);
      if (where === 'inside') return { kind: 'commune', commune: entry.commune, borderWith: [] };
      if (where === 'border') border.push(entry.commune);
    }
    // Candidates are in INSEE order: the first is the tie-break's winner.
    if (border.length) return { kind: 'commune', commune: border[0], borderWith: border.slice(1) };
    const state = this.missState[r * this.size + c];
    if (state === 'outside' || (state === null && !insideOutline(this.outline, lon, lat))) return { kind: 'outside', outside: true };
    const hole = holeAt(this.outline, lon, lat);
    return { kind: 'gap', gap: true, around: hole ? [...this.gapAround[this.outline.holes.indexOf(hole)]] : [] };
  }

  private cellOf(lon: number, lat: number): [column: number, row: number] {
    const clamp = (v: number) => Math.min(this.size - 1, Math.max(0, v));
    return [clamp(Math.floor((lon - this.box.minLon) / this.cellWidth)), clamp(Math.floor((lat - this.box.minLat) / this.cellHeight))];
  }
}
