/**
 * The nodes nearest a player that can run a game, found through the cell index (cell-index.ts).
 *
 * A search reads node ids and distances from the index one step at a time, and node summaries
 * (requirements, free slots) for the nearest unread ids a batch at a time, nearest first, until it
 * has K nodes with a free slot. Only nodes within the radius the index has fully covered are read,
 * so those K are the K nearest. The first round trip also counts the nodes in the player's own
 * cells at each resolution; from that density the search skips the steps too small to hold a
 * batch. A typical search takes two round trips (index, then summaries); a sparse region a few
 * more; the summaries read per search are capped, so a search through a full or unsuitable region
 * stays bounded too.
 */
import type { GameManifest, GeoPoint } from '../../protocol/http.js';
import type { IndexedNode, NodeSummary, Store } from '../store/store.js';
import { expectedReachKm, indexCells, searchSteps, type SearchStep } from './cell-index.js';
import { distanceKm } from './great-circle.js';

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

export const DEFAULT_SEARCH_LIMITS: CandidateSearchLimits = { maxExamined: 256 };

/** The first step reaches at least this far: in all but the densest cities a single cell holds too few nodes. */
const FIRST_STEP_MIN_RADIUS_KM = 20;
/** Summaries are read this many at a time (or 2K if more): some of the nearest nodes will be full. */
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

export async function findCandidates(
  store: Store,
  query: CandidateQuery,
  limits: CandidateSearchLimits = DEFAULT_SEARCH_LIMITS,
): Promise<CandidateSearchResult> {
  const { location, game, k } = query;
  const batch = Math.max(MIN_BATCH, 2 * k);
  const steps = searchSteps(location);
  const ownCells = indexCells(location);
  const seen = new Map<string, IndexedNode>();
  const examined = new Set<string>();
  const available: NearbyNode[] = [];
  const full: NearbyNode[] = [];
  let step = nextStep(steps, FIRST_STEP_MIN_RADIUS_KM);
  let perCellLimit = batch;
  let reachKm: number | undefined;
  let radiusKm = 0;
  let roundTrips = 0;
  const done = () => available.length >= k || examined.size >= limits.maxExamined;

  while (step !== undefined && !done()) {
    const [near, counts] = await Promise.all([
      store.nearbyNodes({ cells: step.cells, center: location, radiusKm: step.radiusKm, perCellLimit }),
      reachKm === undefined ? store.indexedNodeCounts(ownCells) : undefined,
    ]);
    roundTrips++;
    radiusKm = step.radiusKm;
    if (counts !== undefined) reachKm = expectedReachKm(ownCells, counts, batch);
    for (const node of near.nodes) if (!seen.has(node.nodeId)) seen.set(node.nodeId, node);

    const unreadNow = unreadWithin(seen, examined, near.completeKm);
    // Too few nodes within reach to make K: go wider first, and read them all in one batch later.
    if (available.length + unreadNow.length < k && step.ring !== Infinity && near.completeKm === step.radiusKm) {
      step = nextStep(steps, reachKm ?? 0);
      continue;
    }
    for (let unread = unreadNow; unread.length > 0 && !done(); unread = unreadWithin(seen, examined, near.completeKm)) {
      const reading = unread.slice(0, Math.min(batch, limits.maxExamined - examined.size));
      const summaries = await store.nodeSummaries(
        reading.map(({ nodeId }) => nodeId),
        game.buildId,
      );
      roundTrips++;
      const expired: IndexedNode[] = [];
      reading.forEach((indexed, i) => {
        examined.add(indexed.nodeId);
        const summary = summaries[i];
        if (summary === null || summary === undefined) expired.push(indexed);
        else if (canRun(summary, game.manifest)) {
          (summary.slots.free > 0 ? available : full).push({ ...summary, distanceKm: distanceKm(location, summary.location) });
        }
      });
      if (expired.length > 0) await store.unindexNodes(expired);
    }
    // A cell held more nodes within the radius than it returned: read further into it before going wider.
    if (near.completeKm < step.radiusKm) perCellLimit += batch;
    else step = nextStep(steps, reachKm ?? 0);
  }

  const nearestFirst = (a: NearbyNode, b: NearbyNode) => a.distanceKm - b.distanceKm;
  return {
    available: available.sort(nearestFirst).slice(0, k),
    full: full.sort(nearestFirst).slice(0, k),
    radiusKm,
    examined: examined.size,
    roundTrips,
  };
}

/** The game's manifest requirements: at least that much GPU memory, and every encoder it names. */
export function canRun(node: Pick<NodeSummary, 'vramMb' | 'encoders'>, manifest: GameManifest): boolean {
  const { minVramMb = 0, encoders = [] } = manifest.requirements ?? {};
  return node.vramMb >= minVramMb && encoders.every((encoder) => node.encoders.includes(encoder));
}

/** The first remaining step reaching at least `minRadiusKm` (the last step reaches everywhere). */
function nextStep(steps: Iterator<SearchStep>, minRadiusKm: number): SearchStep | undefined {
  let last: SearchStep | undefined;
  for (let next = steps.next(); !next.done; next = steps.next()) {
    last = next.value;
    if (last.radiusKm >= minRadiusKm) return last;
  }
  return last;
}

function unreadWithin(seen: ReadonlyMap<string, IndexedNode>, examined: ReadonlySet<string>, radiusKm: number): IndexedNode[] {
  return [...seen.values()].filter((node) => !examined.has(node.nodeId) && node.distanceKm <= radiusKm).sort((a, b) => a.distanceKm - b.distanceKm);
}
