/**
 * The nodes nearest a player that can run a game, found through the cell index (cell-index.ts).
 *
 * A search reads a circle around the player: the nearest nodes of each cell the circle touches,
 * with their summaries (requirements, free slots), in one round trip, and classifies those within
 * the radius the read fully covered, nearest first, until it has K nodes with a free slot. Only
 * nodes within that radius count, so those K are the K nearest (up to equivalence: nodes within
 * 25 km of the player, or whose distances differ by less than a quarter, may stand in for each
 * other). The first circle is sized from the node counts of the player's own cells when this
 * instance has counted them lately (CellDensities); otherwise it is 100 km, and the first round
 * trip counts them for the next. A wide circle reads its nearest cells first and stops once no
 * unread cell can hold a nearer node; a cell that held more nodes than a read took is read deeper
 * (twice as many each time); only then does the circle grow, by as much as what it held suggests.
 * A typical search takes one round trip, a sparse region a few more; the nodes classified per
 * search are capped, so a search through a full or unsuitable region stays bounded too.
 */
import type { GameManifest, GeoPoint } from '../../protocol/http.js';
import type { IndexedNode, NodeSummary, Store } from '../store/store.js';
import { isSuspended } from '../checker/reputation.js';
import { cellDistanceKm, expectedReachKm, indexCells, searchStep } from './cell-index.js';
import type { CellDensities } from './cell-densities.js';
import { distanceKm, HALF_EARTH_CIRCUMFERENCE_KM } from './great-circle.js';

export interface CandidateQuery {
  location: GeoPoint;
  game: { buildId: string; manifest: GameManifest };
  /** How many nodes with a free slot to find. */
  k: number;
}

export interface CandidateSearchLimits {
  /** Summaries read per search, at most. */
  maxExamined: number;
}

export interface CandidateSearchOptions {
  limits?: CandidateSearchLimits;
  /** Nodes within this distance of the player count as equally near (DEFAULT_EQUIVALENT_KM); 0 for the exact K nearest. */
  equivalentKm?: number;
  /** Nodes whose distances differ by less than this factor count as equally near (DEFAULT_EQUIVALENT_RATIO); 1 for exact distances. */
  equivalentRatio?: number;
  /** Counts from earlier searches, to size the first circle without counting again. */
  densities?: CellDensities;
}

export const DEFAULT_SEARCH_LIMITS: CandidateSearchLimits = { maxExamined: 256 };

/**
 * The first circle, read before this instance knows the density around the player. A crowded cell
 * answers from within the equivalence distance and a cell with a crowd farther out narrows instead
 * of sorting it (DEFAULT_EQUIVALENT_RATIO), so a wide circle costs little there, while a narrow one
 * costs sparser regions a second round trip: at 100,000 nodes, 100 km in place of 25 km took the
 * searches slower than 2 ms from 1.0-1.25% to 0.9% of players.
 */
const FIRST_RADIUS_KM = 100;
/**
 * Nodes this close to the player are as near as each other: 25 km of fibre is 0.25 ms of RTT (0.4
 * with a typical route's detours), far below what probes tell apart or what a node's own network
 * adds. Where a cell holds a batch within it (a city, whose nodes geoip often puts on one point),
 * the index hands out any of them instead of sorting the city.
 */
export const DEFAULT_EQUIVALENT_KM = 25;
/**
 * Beyond that, nodes whose distances differ by less than a quarter are as near as each other: a
 * player 200 km from the nearest node may be offered one 250 km away, 0.3-0.5 ms more RTT, while a
 * store need not sort every node of a crowded region on the way (NearbyQuery.equivalentRatio).
 */
export const DEFAULT_EQUIVALENT_RATIO = 1.25;
/** A first circle sized from known counts reaches this much beyond where a batch is expected. */
const FIRST_CIRCLE_MARGIN = 1.5;
/** A circle that held too few grows at least this much... */
const MIN_GROWTH = 2;
/** ...and, judging by how many it held, enough to hold K with this margin (area grows with the square). */
const GROWTH_MARGIN = 1.5;
/** A circle that held none grows this much. */
const EMPTY_GROWTH = 4;
/** A circle touching at most this many cells reads them all in one round trip. */
const ALL_AT_ONCE_CELLS = 4;
/** Each cell is read K and this many (or K/4) more at a time: some of the nearest nodes will be full. */
const MIN_BATCH = 8;

export type NearbyNode = NodeSummary & { distanceKm: number };

export interface CandidateSearchResult {
  /** The nearest nodes that can run the game and have a free slot, nearest first, at most k. */
  available: NearbyNode[];
  /** Nodes among those read that can run the game but are full now, nearest first, at most k. */
  full: NearbyNode[];
  /** How far the last step reached. */
  radiusKm: number;
  /** Nodes whose summaries were read. */
  examined: number;
  roundTrips: number;
}

export async function findCandidates(store: Store, query: CandidateQuery, options: CandidateSearchOptions = {}): Promise<CandidateSearchResult> {
  const { limits = DEFAULT_SEARCH_LIMITS, densities, equivalentKm = DEFAULT_EQUIVALENT_KM, equivalentRatio = DEFAULT_EQUIVALENT_RATIO } = options;
  const { location, game, k } = query;
  const batch = k + Math.max(MIN_BATCH, Math.ceil(k / 4));
  const ownCells = indexCells(location);
  const examined = new Set<string>();
  let available: NearbyNode[];
  let full: NearbyNode[];
  // The node counts of the player's own cells: remembered, or counted in the first round trip.
  let ownCounts = densities?.countsFor(ownCells, batch);
  const reachKm = (counts: number[]) => expectedReachKm(ownCells, counts, batch);
  let step = searchStep(location, ownCounts === undefined ? FIRST_RADIUS_KM : Math.max(equivalentKm, FIRST_CIRCLE_MARGIN * reachKm(ownCounts)));
  let perCellLimit = batch;
  let roundTrips = 0;

  let unread = nearestCellsFirst(location, step.cells);
  let read: IndexedNode[] = [];
  let cappedKm = Infinity;

  for (;;) {
    const [near, counts] = await Promise.all([
      store.nearbyNodes({
        cells: takeNearestCells(unread, step.radiusKm),
        center: location,
        radiusKm: step.radiusKm,
        perCellLimit,
        equivalentRatio,
        buildId: game.buildId,
        // Only a crowded cell can hold a batch within equivalentKm; elsewhere looking for one costs a read for nothing.
        equivalentKm: ownCounts === undefined || (ownCounts[0] ?? 0) >= perCellLimit ? equivalentKm : 0,
      }),
      ownCounts === undefined ? store.indexedNodeCounts(ownCells) : undefined,
    ]);
    roundTrips++;
    if (counts !== undefined) {
      ownCounts = counts;
      counts.forEach((count, level) => densities?.set(ownCells[level] ?? '', count));
    }
    read = mergeNearestFirst(read, near.nodes);
    if (near.completeKm < step.radiusKm) cappedKm = Math.min(cappedKm, near.completeKm);
    // Every node nearer than this has been read: the cells not read yet hold none.
    const completeKm = Math.min(cappedKm, unread[0]?.distanceKm ?? Infinity, step.radiusKm);

    // Each pass classifies everything read for this circle so far, nearest first.
    available = [];
    full = [];
    const expired: IndexedNode[] = [];
    for (const node of read) {
      if (node.distanceKm > completeKm || available.length >= k) break;
      if (node.summary === null) {
        expired.push(node);
        continue;
      }
      if (examined.size >= limits.maxExamined && !examined.has(node.nodeId)) break;
      examined.add(node.nodeId);
      if (!canRun(node.summary, game.manifest)) continue;
      const found = nearbyNode(node.summary, distanceKm(location, node.summary.location));
      (found.slots.free > 0 ? available : full).push(found);
    }
    if (expired.length > 0) {
      await store.unindexNodes(expired);
      read = read.filter((node) => node.summary !== null);
    }
    if (available.length >= k || examined.size >= limits.maxExamined) break;
    // Farther cells of this circle first; then, where a cell held more nodes within the radius than
    // it returned, read the circle again deeper; only then go wider.
    if (unread.length > 0 && unread[0]!.distanceKm < cappedKm) continue;
    if (cappedKm < step.radiusKm) perCellLimit *= 2;
    else if (step.radiusKm >= HALF_EARTH_CIRCUMFERENCE_KM) break;
    else step = searchStep(location, Math.max(grownRadiusKm(step.radiusKm, available.length, k), FIRST_CIRCLE_MARGIN * (ownCounts === undefined ? 0 : reachKm(ownCounts))));
    unread = nearestCellsFirst(location, step.cells);
    read = [];
    cappedKm = Infinity;
  }

  // The index's distances are rounded to its geohash grid; exact ones settle near ties.
  const nearestFirst = (a: NearbyNode, b: NearbyNode) => a.distanceKm - b.distanceKm;
  return {
    available: available.sort(nearestFirst).slice(0, k),
    full: full.sort(nearestFirst).slice(0, k),
    radiusKm: step.radiusKm,
    examined: examined.size,
    roundTrips,
  };
}

interface UnreadCell {
  cell: string;
  /** How near the player any of its nodes can be. */
  distanceKm: number;
}

function nearestCellsFirst(center: GeoPoint, cells: readonly string[]): UnreadCell[] {
  return cells.map((cell) => ({ cell, distanceKm: cellDistanceKm(center, cell) })).sort((a, b) => a.distanceKm - b.distanceKm);
}

/**
 * The cells to read next (removed from `unread`): a small circle's few cells at once; of a wide
 * circle's many, those within a quarter of its radius of the nearest, since a wide circle's nodes
 * are often all found before its far, crowded cells need sorting through.
 */
function takeNearestCells(unread: UnreadCell[], radiusKm: number): string[] {
  const nearest = unread[0]?.distanceKm ?? 0;
  const count = unread.length <= ALL_AT_ONCE_CELLS ? unread.length : unread.findIndex((cell) => cell.distanceKm > nearest + radiusKm / 4);
  return unread.splice(0, count === -1 ? unread.length : Math.max(1, count)).map(({ cell }) => cell);
}

function mergeNearestFirst(a: IndexedNode[], b: readonly IndexedNode[]): IndexedNode[] {
  return a.length === 0 ? [...b] : [...a, ...b].sort((x, y) => x.distanceKm - y.distanceKm);
}

/** The summary with its distance, its fields named rather than spread: a search makes dozens, and spreading cost more than the rest of classifying. */
function nearbyNode(summary: NodeSummary, distance: number): NearbyNode {
  const { nodeId, location, gpuModel, vramMb, encoders, pricePerHour, reputation, signallingUrl, slots, buildCached } = summary;
  return { nodeId, location, gpuModel, vramMb, encoders, pricePerHour, reputation, signallingUrl, slots, buildCached, distanceKm: distance };
}

/** A radius that should hold `k` nodes where `radiusKm` held `found`, assuming they spread evenly. */
function grownRadiusKm(radiusKm: number, found: number, k: number): number {
  if (found === 0) return EMPTY_GROWTH * radiusKm;
  return Math.max(MIN_GROWTH, GROWTH_MARGIN * Math.sqrt(k / found)) * radiusKm;
}

/**
 * The game's manifest requirements: at least that much GPU memory, and every encoder it names; and
 * the node is not suspended after failing its checks (services/checker/reputation.ts).
 */
export function canRun(node: Pick<NodeSummary, 'vramMb' | 'encoders' | 'reputation'>, manifest: GameManifest): boolean {
  const { minVramMb = 0, encoders = [] } = manifest.requirements ?? {};
  return node.vramMb >= minVramMb && encoders.every((encoder) => node.encoders.includes(encoder)) && !isSuspended(node.reputation);
}
