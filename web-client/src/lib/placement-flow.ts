/**
 * Placement as the page runs it: ask the matchmaker for candidate nodes near the player, time the
 * round trip to each, report the times, and wait in the queue while every node within the latency
 * bound is busy. UI-free: progress goes to a callback, and cancelling gives the place back.
 */
import type { GeoPoint, SessionCreated } from '../../../protocol/http.js';
import type { PlacementChoice, PlacementOffer, PlacementRequest, PlacementResult, RttMeasurement } from '../../../protocol/placement.js';
import { ApiError } from './api-client.js';

export interface PlacementApi {
  createPlacement(request: PlacementRequest): Promise<PlacementOffer>;
  choosePlacement(placementId: string, choice: PlacementChoice): Promise<PlacementResult>;
  placement(placementId: string): Promise<PlacementResult>;
  cancelPlacement(placementId: string): Promise<void>;
}

export type PlacementProgress =
  | { stage: 'finding' }
  | { stage: 'measuring'; candidates: number }
  | { stage: 'queued'; position: number; estimatedWaitS: number; latencyBoundMs: number }
  | { stage: 'placed'; nodeId: string };

export interface PlaceOptions {
  gameId: string;
  /** Sent only when the page knows better than the player's IP address does. */
  location?: GeoPoint;
  /** Nodes not to be placed on: those a session just failed on. */
  excludeNodes?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (progress: PlacementProgress) => void;
  measure: (offer: PlacementOffer, signal?: AbortSignal) => Promise<RttMeasurement[]>;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A queued player keeps their place through this many failed polls in a row (a flaky connection). */
const NETWORK_RETRIES = 3;
/** Polls no faster than this, even if the control plane asks for it. */
const MIN_POLL_MS = 250;

export const cancelled = (): ApiError => new ApiError('CANCELLED', 'You left the queue.', 0);

export async function place(api: PlacementApi, options: PlaceOptions): Promise<SessionCreated> {
  const { gameId, location, excludeNodes = [], signal, onProgress = () => undefined, measure, sleep = abortableSleep } = options;
  onProgress({ stage: 'finding' });
  const offer = await api.createPlacement({
    gameId,
    ...(location ? { location } : {}),
    ...(excludeNodes.length > 0 ? { excludeNodes: [...excludeNodes] } : {}),
  });
  // Runs from the abort itself, not after the awaits below, so it still goes out when the page is closing.
  const giveUp = (): void => void api.cancelPlacement(offer.placementId).catch(() => undefined);
  if (signal?.aborted) {
    giveUp();
    throw cancelled();
  }
  signal?.addEventListener('abort', giveUp, { once: true });
  const stopIfCancelled = (): void => {
    if (signal?.aborted) throw cancelled();
  };
  try {
    onProgress({ stage: 'measuring', candidates: offer.candidates.length });
    const measurements = await measure(offer, signal);
    stopIfCancelled();
    let result = await api.choosePlacement(offer.placementId, { measurements });
    let failedPolls = 0;
    while (result.state === 'queued') {
      stopIfCancelled();
      onProgress({ stage: 'queued', position: result.position, estimatedWaitS: result.estimatedWaitS, latencyBoundMs: result.latencyBoundMs });
      await sleep(Math.max(MIN_POLL_MS, result.retryAfterMs), signal);
      stopIfCancelled();
      try {
        result = await api.placement(offer.placementId);
        failedPolls = 0;
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 'NETWORK') || ++failedPolls > NETWORK_RETRIES) throw error;
      }
    }
    stopIfCancelled();
    onProgress({ stage: 'placed', nodeId: result.session.nodeId });
    return result.session;
  } catch (error) {
    if (signal?.aborted) throw cancelled();
    // A placement left behind on a failure here would refuse the player's next try with PLACEMENT_IN_PROGRESS.
    giveUp();
    throw error;
  } finally {
    signal?.removeEventListener('abort', giveUp);
  }
}

/** Resolves after `ms`, or as soon as the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
