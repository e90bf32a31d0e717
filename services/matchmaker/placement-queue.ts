/**
 * Players who cannot be placed within the latency bound wait here, first come first served, as
 * on commercial services. The bound starts tight and relaxes in steps the longer the player has
 * waited (as GameLift's latency policies do): a player first holds out for a near node, then takes
 * a farther one rather than wait on.
 *
 * A queue is per game and per region (the player's H3 resolution-1 cell, ~500 km across), since
 * players far apart do not compete for the same nodes. Queued players poll; each poll keeps their
 * entry alive, and players at the head are the ones re-placed when slots free, first come first
 * served; a newcomer joins the end of a queue that has anyone in it rather than overtake them. An
 * entry that is not polled for `entryTtlMs` lapses.
 */
import { latLngToCell } from 'h3-js';
import type { GeoPoint } from '../../protocol/http.js';
import { MAX_RTT_MS, type PlacementResult } from '../../protocol/placement.js';
import type { QueueStanding, Store } from '../store/store.js';

export interface LatencyStep {
  /** From this long after the player asked... */
  afterMs: number;
  /** ...nodes up to this RTT are acceptable; MAX_RTT_MS means any. */
  boundMs: number;
}

export interface QueuePolicy {
  /** In increasing `afterMs`, starting at 0. */
  latencySteps: readonly LatencyStep[];
  /** A region's queue holds at most this many; beyond it players are told NO_CAPACITY. */
  maxLength: number;
  entryTtlMs: number;
  /** How often a queued player should poll. */
  pollIntervalMs: number;
  /** The wait estimate per place in the queue until players have left it to learn from. */
  defaultDepartureIntervalMs: number;
}

export const DEFAULT_QUEUE_POLICY: QueuePolicy = {
  latencySteps: [
    { afterMs: 0, boundMs: 40 },
    { afterMs: 5_000, boundMs: 60 },
    { afterMs: 10_000, boundMs: 90 },
    { afterMs: 20_000, boundMs: 150 },
    { afterMs: 30_000, boundMs: MAX_RTT_MS },
  ],
  maxLength: 10_000,
  entryTtlMs: 15_000,
  pollIntervalMs: 1_000,
  defaultDepartureIntervalMs: 10_000,
};

const QUEUE_REGION_RESOLUTION = 1;

export type QueuedResult = Extract<PlacementResult, { state: 'queued' }>;

export class PlacementQueue {
  readonly #store: Store;
  readonly #policy: QueuePolicy;

  constructor(store: Store, policy: QueuePolicy) {
    this.#store = store;
    this.#policy = policy;
  }

  get entryTtlMs(): number {
    return this.#policy.entryTtlMs;
  }

  /** The RTT bound for a player who asked `waitedMs` ago. */
  latencyBoundMs(waitedMs: number): number {
    let bound = MAX_RTT_MS;
    for (const step of this.#policy.latencySteps) {
      if (step.afterMs <= waitedMs) bound = step.boundMs;
    }
    return bound;
  }

  queueFor(gameId: string, location: GeoPoint): string {
    return `${gameId}:${latLngToCell(location.lat, location.lng, QUEUE_REGION_RESOLUTION)}`;
  }

  /** Null when the queue is full. */
  async join(queue: string, placementId: string): Promise<QueueStanding | null> {
    return this.#store.enqueue(queue, placementId, this.#policy.entryTtlMs, this.#policy.maxLength);
  }

  /** Null when the entry lapsed (or was never there). */
  async standing(queue: string, placementId: string): Promise<QueueStanding | null> {
    return this.#store.queueStanding(queue, placementId, this.#policy.entryTtlMs);
  }

  async hasWaiting(queue: string): Promise<boolean> {
    return (await this.#store.queueLength(queue)) > 0;
  }

  async leave(queue: string, placementId: string): Promise<void> {
    await this.#store.dequeue(queue, placementId);
  }

  /**
   * What the player sees: the wait is their position times the recent time between departures
   * (store.ts, nextMeanDepartureInterval).
   */
  view(standing: QueueStanding, latencyBoundMs: number): QueuedResult {
    const perPlaceMs = standing.meanDepartureIntervalMs ?? this.#policy.defaultDepartureIntervalMs;
    return {
      state: 'queued',
      position: standing.position,
      estimatedWaitS: Math.round((standing.position * perPlaceMs) / 1000),
      latencyBoundMs,
      retryAfterMs: this.#policy.pollIntervalMs,
    };
  }
}
