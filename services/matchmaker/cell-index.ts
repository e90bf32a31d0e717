/**
 * Where nodes sit in the H3 grid, and which cells a search around a player reads.
 *
 * Every node is indexed in one cell at each of three resolutions: 3 (~12,000 km² cells) tells how
 * dense the nodes are around a player; 1 (~600,000 km², 842 cells cover the Earth) holds the
 * nodes for searches up to a few hundred km; 0 (122 cells) for wider ones. The index of a cell is
 * a Redis GEO set, which answers "the nearest nodes within r" by itself; the cells split it so
 * that each part stays small, lives on one Cluster slot, and is read only when a search needs it.
 *
 * A search is a circle: the radius, not the grid, decides how far it looks, so a search in a dense
 * city reads a small circle from one or two coarse cells rather than many fine ones. Its step's
 * cells are those of a disk (gridDisk) around the player's cell that can touch the circle.
 */
import { cellArea, cellToBoundary, cellToChildren, cellToLatLng, getHexagonEdgeLengthAvg, getRes0Cells, getResolution, gridDisk, latLngToCell, UNITS } from 'h3-js';
import type { GeoPoint } from '../../protocol/http.js';
import { distanceKm, HALF_EARTH_CIRCUMFERENCE_KM } from './great-circle.js';

/** Density, fine search, wide search. */
export const INDEX_RESOLUTIONS: readonly number[] = [3, 1, 0];
const FINE_SEARCH_RESOLUTION = 1;
const WIDE_SEARCH_RESOLUTION = 0;
/** Circles up to this radius are read from resolution-1 cells; wider ones from resolution 0. */
const FINE_SEARCH_MAX_KM = 800;
/** A circle this wide reads every resolution-0 cell. */
const WHOLE_EARTH_FROM_KM = 6_000;

/**
 * H3 cells are not regular hexagons (their size varies by up to ~2x across the globe, and twelve
 * are pentagons), so the reach of a disk is computed from the average edge shrunk by this factor.
 * Sampling random points and points near every pentagon, the smallest factor that still held was
 * ~0.70 (test/unit/services/cell-index.test.ts checks coverage at this one).
 */
const COVERAGE_SAFETY = 0.65;

export interface SearchStep {
  resolution: number;
  cells: string[];
  /** Every point this close to the player lies in `cells`. */
  radiusKm: number;
}

/** The node's cell at each index resolution, in INDEX_RESOLUTIONS order. */
export function indexCells(location: GeoPoint): string[] {
  return INDEX_RESOLUTIONS.map((resolution) => latLngToCell(location.lat, location.lng, resolution));
}

/** The fine search cells, every one of them: together they index each node once. */
export function allFineSearchCells(): string[] {
  return getRes0Cells().flatMap((cell) => cellToChildren(cell, FINE_SEARCH_RESOLUTION));
}

/** Whether searches read the cell's nodes (the density cells are only counted). */
export function isSearchedCell(cell: string): boolean {
  const resolution = getResolution(cell);
  return resolution === FINE_SEARCH_RESOLUTION || resolution === WIDE_SEARCH_RESOLUTION;
}

/** The cells that together hold every node within `radiusKm` of `center`. */
export function searchStep(center: GeoPoint, radiusKm: number): SearchStep {
  if (radiusKm >= WHOLE_EARTH_FROM_KM) return { resolution: WIDE_SEARCH_RESOLUTION, cells: getRes0Cells(), radiusKm: HALF_EARTH_CIRCUMFERENCE_KM };
  const resolution = radiusKm <= FINE_SEARCH_MAX_KM ? FINE_SEARCH_RESOLUTION : WIDE_SEARCH_RESOLUTION;
  const origin = latLngToCell(center.lat, center.lng, resolution);
  const offsetKm = distanceKm(center, cellGeometry(origin).center);
  let ring = 0;
  while (diskReachKm(resolution, ring) - offsetKm < radiusKm) ring++;
  const cells = gridDisk(origin, ring).filter((cell) => cellDistanceKm(center, cell) <= radiusKm);
  return { resolution, cells, radiusKm };
}

/** How near to `center` any point of the (searched) cell can be: zero when the cell holds it. */
export function cellDistanceKm(center: GeoPoint, cell: string): number {
  const { center: cellCenter, circumradiusKm } = cellGeometry(cell);
  return Math.max(0, distanceKm(center, cellCenter) - circumradiusKm);
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

export interface CellGeometry {
  center: GeoPoint;
  /** The farthest the cell reaches from its centre (its farthest vertex). */
  circumradiusKm: number;
}

/**
 * Searches ask for cells of resolutions 0 and 1 (under a thousand in all) and an index replica for
 * the resolution-3 cells that hold nodes (at most 41,162): every one asked for is kept.
 */
const geometries = new Map<string, CellGeometry>();

export function cellGeometry(cell: string): CellGeometry {
  let geometry = geometries.get(cell);
  if (geometry === undefined) {
    const [lat, lng] = cellToLatLng(cell);
    const center = { lat, lng };
    const circumradiusKm = Math.max(...cellToBoundary(cell).map(([vLat, vLng]) => distanceKm(center, { lat: vLat, lng: vLng })));
    geometry = { center, circumradiusKm };
    geometries.set(cell, geometry);
  }
  return geometry;
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
