/**
 * Spreads a popular build to the edge before players wait for it. Simply put:
 *
 * - demand is counted per build and per H3 cell of the player's location (resolution 4, about
 *   1,800 km², a metropolitan area) in fixed windows (10 minutes);
 * - a build is popular in a cell once its placements there in one window reach `popularAfter`;
 *   the placement that reaches it (exactly, so once per build, cell and window however many
 *   instances count) asks the `nodesNearDemand` nodes nearest the cell's centre that can run
 *   the game and do not hold it to prefetch it;
 * - an admin can ask the same for any place (POST /v1/builds/:buildId/prefetch).
 *
 * Requests wait in the prefetch store and ride on each node's next heartbeat ack; the node fetches
 * in the background (peers first) and reports the build once it is cached. Heartbeats are the
 * control plane's hottest path, so each instance reads which nodes have requests waiting at most
 * once a second and reads a node's requests only when it is among them.
 */
import { cellToLatLng, latLngToCell } from 'h3-js';
import type { GeoPoint } from '../../protocol/http.js';
import type { Logger } from '../logging/logger.js';
import type { CandidateQuery, CandidateSearchResult } from '../matchmaker/candidate-search.js';
import type { PrefetchStore } from './prefetch-store.js';

export interface PrefetchPolicy {
  /** Placements of one build in one cell within one window that make it popular there. */
  popularAfter: number;
  windowMs: number;
  /** The H3 resolution of demand cells. */
  cellResolution: number;
  /** How many of the nodes nearest the demand should hold a popular build. */
  nodesNearDemand: number;
  /** A request a node has not collected (it stopped heartbeating) lapses after this. */
  requestTtlMs: number;
}

export const DEFAULT_PREFETCH_POLICY: PrefetchPolicy = {
  popularAfter: 5,
  windowMs: 10 * 60_000,
  cellResolution: 4,
  nodesNearDemand: 3,
  requestTtlMs: 5 * 60_000,
};

type PrefetchGame = CandidateQuery['game'];

/** How stale an instance's list of nodes with waiting requests may be: a request waits this much longer at most. */
const PENDING_REFRESH_MS = 1000;

export interface BuildPrefetchOptions {
  store: PrefetchStore;
  /** The nearest nodes that can run a game (the matchmaker's search). */
  findCandidates: (query: CandidateQuery) => Promise<CandidateSearchResult>;
  policy: PrefetchPolicy;
  log: Logger;
  /** The clock windows are cut from (tests move it). */
  now?: () => number;
}

export class BuildPrefetch {
  readonly #options: BuildPrefetchOptions;
  readonly #log: Logger;
  #pending: { nodes: Set<string>; readAt: number } = { nodes: new Set(), readAt: -Infinity };
  #reading: Promise<Set<string>> | undefined;

  constructor(options: BuildPrefetchOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'build-prefetch' });
  }

  /** The matchmaker placed a player at `location` on `game`: counted off the placement's path, so this never rejects. */
  async placed(game: PrefetchGame, location: GeoPoint): Promise<void> {
    await this.#countPlacement(game, location).catch((error: unknown) => this.#log.warn({ err: error, buildId: game.buildId }, 'counting build demand failed'));
  }

  /** Asks the `count` nodes nearest `location` that can run the game and lack its build to prefetch it; returns their ids. */
  async prefetchNear(game: PrefetchGame, location: GeoPoint, count: number): Promise<string[]> {
    const { available, full } = await this.#options.findCandidates({ location, game, k: count });
    const nearest = [...available, ...full].sort((a, b) => a.distanceKm - b.distanceKm).slice(0, count);
    const nodeIds = nearest.filter((node) => !node.buildCached).map((node) => node.nodeId);
    await Promise.all(nodeIds.map((nodeId) => this.#options.store.addPrefetch(nodeId, [game.buildId], this.#options.policy.requestTtlMs)));
    // This instance need not wait for its next read of the list to hand these out.
    for (const nodeId of nodeIds) this.#pending.nodes.add(nodeId);
    return nodeIds;
  }

  /** The builds `nodeId` is asked to fetch, for its heartbeat ack (each handed out once); none when the store fails, the heartbeat goes on. */
  async take(nodeId: string): Promise<string[]> {
    try {
      const pending = await this.#pendingNodes();
      if (!pending.has(nodeId)) return [];
      pending.delete(nodeId);
      return await this.#options.store.takePrefetch(nodeId);
    } catch (error) {
      this.#log.warn({ err: error, nodeId }, 'reading prefetch requests failed');
      return [];
    }
  }

  /** The nodes with requests waiting, as this instance read them within the last PENDING_REFRESH_MS; one read at a time. */
  #pendingNodes(): Promise<Set<string>> | Set<string> {
    const now = (this.#options.now ?? Date.now)();
    if (now - this.#pending.readAt < PENDING_REFRESH_MS) return this.#pending.nodes;
    this.#reading ??= this.#options.store
      .pendingNodes()
      .then((nodes) => {
        this.#pending = { nodes: new Set(nodes), readAt: now };
        return this.#pending.nodes;
      })
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }

  async #countPlacement(game: PrefetchGame, location: GeoPoint): Promise<void> {
    const { policy, store } = this.#options;
    const cell = latLngToCell(location.lat, location.lng, policy.cellResolution);
    const count = await store.countPlacement(game.buildId, cell, Math.floor((this.#options.now ?? Date.now)() / policy.windowMs), policy.windowMs);
    if (count !== policy.popularAfter) return;
    const [lat, lng] = cellToLatLng(cell);
    const nodeIds = await this.prefetchNear(game, { lat, lng }, policy.nodesNearDemand);
    this.#log.info({ buildId: game.buildId, cell, placements: count, nodeIds }, 'build popular in a cell; nearest nodes asked to prefetch it');
  }
}
