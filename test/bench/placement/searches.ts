/**
 * The two ways of choosing a node, run player by player against Redis and timed call by call:
 *  - the matchmaker: the real candidate search (findCandidates, K nearest nodes with a free slot),
 *    each candidate "probed" (its model RTT plus jitter), the real placement score choosing;
 *  - the baseline: the single nearest node by distance, Redis GEOSEARCH over one GEO set.
 */
import type { Redis } from 'ioredis';
import { DEMO_GAME } from '../../../services/catalogue/catalogue.js';
import { findCandidates } from '../../../services/matchmaker/candidate-search.js';
import { CellDensities } from '../../../services/matchmaker/cell-densities.js';
import { indexCells, searchStep } from '../../../services/matchmaker/cell-index.js';
import { DEFAULT_QUEUE_POLICY } from '../../../services/matchmaker/placement-queue.js';
import { rankByScore } from '../../../services/matchmaker/score.js';
import type { Store } from '../../../services/store/store.js';
import { measuredRttMs, modelRttMs } from './latency-model.js';
import { nearestByGeoSearch, nodeNumberOf } from './redis-world.js';
import type { WorldNodes, WorldPlayers } from './world.js';

const GAME = { buildId: DEMO_GAME.buildId, manifest: DEMO_GAME.manifest };
/** A player whose best measured candidate is slower than this waits in the queue first (placement-queue.ts). */
const INITIAL_LATENCY_BOUND_MS = DEFAULT_QUEUE_POLICY.latencySteps[0]?.boundMs ?? Infinity;

export interface MatchmakerRun {
  /** Per player: the candidate search's wall time, ms, and when it started (performance.now()). */
  searchMs: Float64Array;
  startedAt: Float64Array;
  /** Per player: the node the score chose (-1 when no candidate was found). */
  chosen: Int32Array;
  /** Per player: the candidate with the least true RTT, whatever the score says (a diagnostic). */
  fastestCandidate: Int32Array;
  roundTrips: Float64Array;
  examined: Float64Array;
  candidates: Float64Array;
  /** Players whose chosen node's measured RTT is over the queue's initial bound (they would queue first). */
  overInitialBound: number;
}

export async function runMatchmakerSearches(
  store: Store,
  players: WorldPlayers,
  nodes: WorldNodes,
  playerCount: number,
  k: number,
  onProgress: (done: number) => void,
  warmup?: { from: number; count: number },
): Promise<MatchmakerRun> {
  // As one control-plane instance would: the density counts it learns carry over from player to player.
  const densities = new CellDensities();
  // Other players' searches first, untimed: a running instance has its code compiled and its hints learned.
  for (let p = warmup?.from ?? 0; p < (warmup?.from ?? 0) + (warmup?.count ?? 0); p++) {
    await findCandidates(store, { location: { lat: players.lat[p]!, lng: players.lng[p]! }, game: GAME, k }, { densities });
  }
  const run: MatchmakerRun = {
    searchMs: new Float64Array(playerCount),
    startedAt: new Float64Array(playerCount),
    chosen: new Int32Array(playerCount).fill(-1),
    fastestCandidate: new Int32Array(playerCount).fill(-1),
    roundTrips: new Float64Array(playerCount),
    examined: new Float64Array(playerCount),
    candidates: new Float64Array(playerCount),
    overInitialBound: 0,
  };
  for (let p = 0; p < playerCount; p++) {
    const location = { lat: players.lat[p]!, lng: players.lng[p]! };
    const started = performance.now();
    const found = await findCandidates(store, { location, game: GAME, k }, { densities });
    run.searchMs[p] = performance.now() - started;
    run.startedAt[p] = started;
    run.roundTrips[p] = found.roundTrips;
    run.examined[p] = found.examined;
    run.candidates[p] = found.available.length;

    const options = found.available.map((summary) => {
      const node = nodeNumberOf(summary.nodeId);
      return { ...summary, node, rttMs: measuredRttMs(players, p, nodes, node), trueRttMs: modelRttMs(players, p, nodes, node) };
    });
    const [chosen] = rankByScore(options, (option) => option);
    if (chosen !== undefined) {
      run.chosen[p] = chosen.node;
      if (chosen.rttMs > INITIAL_LATENCY_BOUND_MS) run.overInitialBound++;
      run.fastestCandidate[p] = options.reduce((a, b) => (b.trueRttMs < a.trueRttMs ? b : a)).node;
    }
    if ((p + 1) % 10_000 === 0) onProgress(p + 1);
  }
  return run;
}

export interface SearchTimes {
  searchMs: Float64Array;
  startedAt: Float64Array;
}

/**
 * Times the same searches through two stores, alternating blocks of players (A, B, A, B, ...) so
 * that warm-up and drift fall on both alike.
 */
export async function compareStores(a: Store, b: Store, players: WorldPlayers, playerCount: number, k: number, block = 500): Promise<[SearchTimes, SearchTimes]> {
  const times = (): SearchTimes => ({ searchMs: new Float64Array(playerCount), startedAt: new Float64Array(playerCount) });
  const result: [SearchTimes, SearchTimes] = [times(), times()];
  for (let from = 0; from < playerCount; from += block) {
    for (const [store, into] of [
      [a, result[0]],
      [b, result[1]],
    ] as const) {
      for (let p = from; p < Math.min(playerCount, from + block); p++) {
        const started = performance.now();
        await findCandidates(store, { location: { lat: players.lat[p]!, lng: players.lng[p]! }, game: GAME, k });
        into.searchMs[p] = performance.now() - started;
        into.startedAt[p] = started;
      }
    }
  }
  return result;
}

export interface BaselineRun {
  searchMs: Float64Array;
  chosen: Int32Array;
}

export async function runBaselineSearches(redis: Redis, players: WorldPlayers, playerCount: number, onProgress: (done: number) => void): Promise<BaselineRun> {
  const run: BaselineRun = { searchMs: new Float64Array(playerCount), chosen: new Int32Array(playerCount).fill(-1) };
  for (let p = 0; p < playerCount; p++) {
    const started = performance.now();
    run.chosen[p] = await nearestByGeoSearch(redis, players.lat[p]!, players.lng[p]!);
    run.searchMs[p] = performance.now() - started;
    if ((p + 1) % 20_000 === 0) onProgress(p + 1);
  }
  return run;
}

export interface Quality {
  within5msPct: number;
  meanExcessMs: number;
  /** Players left without a node. */
  unplaced: number;
}

/** How close each player's node is to their best: the share within 5 ms, and the mean excess. */
export function quality(players: WorldPlayers, nodes: WorldNodes, chosen: Int32Array, bestRttMs: Float64Array): Quality {
  let within = 0;
  let excessSum = 0;
  let placed = 0;
  for (let p = 0; p < chosen.length; p++) {
    const node = chosen[p]!;
    if (node < 0) continue;
    placed++;
    const excess = modelRttMs(players, p, nodes, node) - bestRttMs[p]!;
    excessSum += excess;
    if (excess <= 5) within++;
  }
  return { within5msPct: (100 * within) / chosen.length, meanExcessMs: excessSum / Math.max(1, placed), unplaced: chosen.length - placed };
}

/** Where search time goes, for a sample of players: each store call's wall time, and the H3 work. */
export interface SearchBreakdown {
  searches: number;
  meanSearchMs: number;
  /** Per store method: calls per search and mean wall time per call, ms. */
  storeCalls: Record<string, { callsPerSearch: number; meanMs: number }>;
  /** Time the search spends waiting for the store (calls in parallel counted once), ms per search. */
  meanStoreWaitMs: number;
  /** indexCells + the widest search step (gridDisk and the cells' reach) the search read, ms per search. */
  meanH3Ms: number;
}

export async function searchBreakdown(store: Store, players: WorldPlayers, sample: number, k: number): Promise<SearchBreakdown> {
  const calls = new Map<string, { calls: number; ms: number }>();
  let waitMs = 0;
  let inFlight = 0;
  let waitStarted = 0;
  const timed = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const started = performance.now();
        if (inFlight++ === 0) waitStarted = started;
        const result = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        return result.finally(() => {
          const ended = performance.now();
          const entry = calls.get(String(property)) ?? { calls: 0, ms: 0 };
          entry.calls++;
          entry.ms += ended - started;
          calls.set(String(property), entry);
          if (--inFlight === 0) waitMs += ended - waitStarted;
        });
      };
    },
  });
  let totalMs = 0;
  let h3Ms = 0;
  for (let p = 0; p < sample; p++) {
    const location = { lat: players.lat[p]!, lng: players.lng[p]! };
    const started = performance.now();
    const found = await findCandidates(timed, { location, game: GAME, k });
    totalMs += performance.now() - started;
    const h3Started = performance.now();
    indexCells(location);
    searchStep(location, found.radiusKm);
    h3Ms += performance.now() - h3Started;
  }
  const storeCalls: SearchBreakdown['storeCalls'] = {};
  for (const [method, { calls: count, ms }] of calls) storeCalls[method] = { callsPerSearch: count / sample, meanMs: ms / count };
  return { searches: sample, meanSearchMs: totalMs / sample, storeCalls, meanStoreWaitMs: waitMs / sample, meanH3Ms: h3Ms / sample };
}
