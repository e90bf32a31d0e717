/**
 * Where nodes sit in the H3 grid, and the order in which a search visits the grid.
 *
 * Every node is indexed in one cell at each of three resolutions: 4 (cells ~26 km across the
 * edge), 2 (~180 km) and 0 (~1,300 km, 122 cells cover the Earth). A search starts at the player's
 * own fine cell and grows rings (gridDisk) around it; once the rings of a resolution grow wide it
 * continues with the next coarser one, which reaches as far with a handful of cells, and ends with
 * every res-0 cell. A node far from the player is thus found in a few steps, while in a dense city
 * the first step usually suffices.
 *
 * Each step comes with the radius it certainly covers: every point within `radiusKm` of the player
 * lies in one of the step's cells. Counting only nodes within that radius, a step has seen every
 * node nearer than it, so the nodes it finds are the nearest ones, not merely nearby ones.
 */
import { cellArea, cellToLatLng, getHexagonEdgeLengthAvg, getRes0Cells, gridDisk, latLngToCell, UNITS } from 'h3-js';
import type { GeoPoint } from '../../protocol/http.js';
import { distanceKm, HALF_EARTH_CIRCUMFERENCE_KM } from './great-circle.js';

interface Level {
  resolution: number;
  /** The widest ring searched at this resolution before moving to the coarser one. */
  maxRing: number;
}

/** Fine to coarse; each coarser level starts where the finer one's widest ring left off. */
const LEVELS: readonly Level[] = [
  { resolution: 4, maxRing: 2 },
  { resolution: 2, maxRing: 3 },
  { resolution: 0, maxRing: 3 },
];

export const INDEX_RESOLUTIONS: readonly number[] = LEVELS.map((level) => level.resolution);

/**
 * H3 cells are not regular hexagons (their size varies by up to ~2x across the globe, and twelve
 * are pentagons), so the reach of a disk is computed from the average edge shrunk by this factor.
 * Sampling random points and points near every pentagon, the smallest factor that still held was
 * ~0.70 (test/unit/services/cell-index.test.ts checks coverage at this one).
 */
const COVERAGE_SAFETY = 0.65;

export interface SearchStep {
  resolution: number;
  /** The ring reached: the step covers gridDisk(player's cell, ring); Infinity for the whole Earth. */
  ring: number;
  cells: string[];
  /** Every point this close to the player lies in `cells`. */
  radiusKm: number;
}

/** The node's cell at each index resolution, in INDEX_RESOLUTIONS order. */
export function indexCells(location: GeoPoint): string[] {
  return INDEX_RESOLUTIONS.map((resolution) => latLngToCell(location.lat, location.lng, resolution));
}

/** The steps of a search around `center`, each covering a strictly wider radius than the one before. */
export function* searchSteps(center: GeoPoint): Generator<SearchStep> {
  let coveredKm = 0;
  for (const { resolution, maxRing } of LEVELS) {
    const origin = latLngToCell(center.lat, center.lng, resolution);
    const [lat, lng] = cellToLatLng(origin);
    const offsetKm = distanceKm(center, { lat, lng });
    for (let ring = 0; ring <= maxRing; ring++) {
      const radiusKm = diskReachKm(resolution, ring) - offsetKm;
      if (radiusKm <= coveredKm) continue;
      coveredKm = radiusKm;
      yield { resolution, ring, cells: gridDisk(origin, ring), radiusKm };
    }
  }
  yield { resolution: 0, ring: Infinity, cells: getRes0Cells(), radiusKm: HALF_EARTH_CIRCUMFERENCE_KM };
}

/**
 * How far from its centre cell's centre a disk of `ring` rings reaches in every direction. In a
 * regular hexagonal grid with edge e the nearest boundary point of a disk of k >= 1 rings is a
 * notch between two outer cells, (1.5k + 0.5)e away; a single cell reaches its inradius, (√3/2)e.
 */
function diskReachKm(resolution: number, ring: number): number {
  const edgeKm = getHexagonEdgeLengthAvg(resolution, UNITS.km) * COVERAGE_SAFETY;
  return (ring === 0 ? Math.sqrt(3) / 2 : 1.5 * ring + 0.5) * edgeKm;
}

/**
 * How far from the player `wanted` nodes can be expected, judging by how many nodes the player's
 * own cells (indexCells order, `counts` of each) hold: the density of the finest of them that holds
 * enough to judge by. Zero when even the coarsest holds none.
 */
export function expectedReachKm(ownCells: readonly string[], counts: readonly number[], wanted: number): number {
  const finest = counts.findIndex((count) => count >= wanted);
  const level = finest === -1 ? counts.length - 1 : finest;
  const count = counts[level] ?? 0;
  const cell = ownCells[level];
  if (count === 0 || cell === undefined) return 0;
  return Math.sqrt(wanted / (Math.PI * (count / cellArea(cell, UNITS.km2))));
}
