/**
 * Point-in-polygon benchmark of routing: point → commune over the Métropole de Lyon's 58 communes.
 *
 *   npm run build && node dist/bench/routing.js
 *
 * Draws BENCH_POINTS (100,000) seeded random points in the territory's bounding box and locates each:
 * - naive scan: `geometryContains` (#territory) on every commune until one contains the point;
 * - bbox prefilter: the same, skipping communes whose bounding box does not contain the point;
 * - CommuneIndex (#routing): a 32×32 grid of candidate lists, bounding boxes, exact ray casting with
 *   explicit borders, then the metropolis' outline for points in no commune (outside or gap).
 * Each strategy runs BENCH_ROUNDS (5) times after a warm-up; the median is printed. No database needed.
 */
import { bboxContains, geometryContains, loadReferenceTerritory, type Position } from '#territory';
import { CommuneIndex, RoutingTable } from '#routing';

const POINTS = Number(process.env.BENCH_POINTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function seeded(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main() {
  const territory = loadReferenceTerritory();
  const started = performance.now();
  const table = RoutingTable.fromReference(territory);
  const buildMs = performance.now() - started;
  const communes = territory.communes;
  const { minLon, maxLon, minLat, maxLat } = table.index.outline.bbox;

  const next = seeded(2026);
  const points: Position[] = Array.from({ length: POINTS }, () => [minLon + next() * (maxLon - minLon), minLat + next() * (maxLat - minLat)]);

  const strategies: { name: string; locate: (p: Position) => string | null }[] = [
    { name: 'naive scan (58 polygons)', locate: (p) => communes.find((c) => geometryContains(c.boundary!, p))?.inseeCode ?? null },
    {
      name: 'bbox prefilter, then polygon',
      locate: (p) => communes.find((c) => bboxContains(c.bbox!, p) && geometryContains(c.boundary!, p))?.inseeCode ?? null,
    },
    {
      name: 'CommuneIndex (grid 32×32 + bbox + borders + outline)',
      locate: (p) => {
        const where = table.communeAt(p[0], p[1]);
        return where.kind === 'commune' ? where.commune.inseeCode : null;
      },
    },
    ...[8, 64].map((gridSize) => {
      const index = new CommuneIndex(table.communes, { gridSize });
      return {
        name: `CommuneIndex, grid ${gridSize}×${gridSize}`,
        locate: (p: Position) => {
          const where = index.locate(p[0], p[1]);
          return where.kind === 'commune' ? where.commune.inseeCode : null;
        },
      };
    }),
  ];

  const reference = points.map(strategies[0].locate);
  const rows: string[][] = [];
  let baseline = 0;
  for (const strategy of strategies) {
    let mismatches = 0;
    points.forEach((p, i) => {
      if (strategy.locate(p) !== reference[i]) mismatches++;
    }); // warm-up and agreement
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = performance.now();
      let sink = 0;
      for (const p of points) if (strategy.locate(p) !== null) sink++;
      times.push(performance.now() - t0);
      if (sink < 0) console.log(sink);
    }
    const perSecond = POINTS / (median(times) / 1000);
    baseline ||= perSecond;
    rows.push([
      strategy.name,
      Math.round(perSecond).toLocaleString('en-US'),
      ((median(times) * 1e6) / POINTS).toFixed(0),
      `×${(perSecond / baseline).toFixed(1)}`,
      String(mismatches),
    ]);
  }

  const kinds = { commune: 0, outside: 0, gap: 0 };
  for (const p of points) kinds[table.communeAt(p[0], p[1]).kind]++;
  const stats = table.index.cellStats();

  console.log(`\nPoint → commune, ${POINTS.toLocaleString('en-US')} random points in the territory's bounding box, median of ${ROUNDS} rounds (Node ${process.versions.node})\n`);
  const header = ['strategy', 'lookups/s', 'ns/lookup', 'speed-up', 'disagreements'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ');
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
  console.log(
    `\n  points: ${kinds.commune.toLocaleString('en-US')} in a commune, ${kinds.outside.toLocaleString('en-US')} outside, ${kinds.gap} in the Pierre-Bénite gap`,
  );
  console.log(`  index built in ${buildMs.toFixed(1)} ms (outline + grid); candidates per grid cell: min ${stats.min}, mean ${stats.mean.toFixed(2)}, max ${stats.max}`);
  console.log('  disagreements with the naive scan are points exactly on a border (tie-break) — expected 0 on random points\n');
}

main();
