/**
 * How the matchmaker ranks the nodes a player can reach: a score in milliseconds-equivalent,
 * lower is better. Round-trip time counts one for one; everything else is a bounded penalty or
 * bonus, so together they move a node by at most SCORE_WEIGHTS' total (22 ms) against another.
 * An RTT difference larger than that always wins; smaller ones, which probe jitter and last-mile
 * noise make uncertain anyway, let load, the cached build, reputation and price decide.
 */
import type { SlotCounts } from '../store/store.js';

/**
 * Every weight of the placement score, in milliseconds of RTT that the factor is worth.
 *  - rtt: per ms of (measured, else estimated) round-trip time.
 *  - load: added in proportion to the share of the node's slots in use (0 idle, full at 1):
 *    a busier node's GPU, encoder and uplink are shared with more streams.
 *  - cached: subtracted when the node already has the build: no download before the game starts.
 *  - reputation: added in proportion to 1 - reputation (reputation runs 0..1, control-plane owned).
 *  - price: added as price / (price + priceReferencePerHour), which saturates, so an absurd price
 *    cannot outweigh RTT but a cheaper node wins between equals.
 */
export const SCORE_WEIGHTS = {
  rtt: 1,
  load: 6,
  cached: 4,
  reputation: 8,
  price: 4,
  priceReferencePerHour: 1,
} as const;

export interface ScoreInput {
  rttMs: number;
  slots: SlotCounts;
  buildCached: boolean;
  reputation: number;
  pricePerHour: number;
}

export function placementScore(input: ScoreInput): number {
  const w = SCORE_WEIGHTS;
  const load = input.slots.capacity === 0 ? 1 : (input.slots.reserved + input.slots.busy) / input.slots.capacity;
  const reputation = Math.min(1, Math.max(0, input.reputation));
  const price = Math.max(0, input.pricePerHour);
  return (
    w.rtt * input.rttMs +
    w.load * load -
    (input.buildCached ? w.cached : 0) +
    w.reputation * (1 - reputation) +
    (w.price * price) / (price + w.priceReferencePerHour)
  );
}

/**
 * Best first; equal scores fall back to node id so every instance ranks the same way. `inputOf`
 * reads an item's score input, so items need not be copied into that shape.
 */
export function rankByScore<T>(items: readonly T[], inputOf: (item: T) => ScoreInput & { nodeId: string }): T[] {
  return items
    .map((item) => {
      const input = inputOf(item);
      return { item, nodeId: input.nodeId, score: placementScore(input) };
    })
    .sort((a, b) => a.score - b.score || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0))
    .map(({ item }) => item);
}
