/**
 * Placement without geography: the least loaded live node, preferring nodes that already cache
 * the build, then the cheapest. Stands in until the H3 matchmaker places by measured RTT.
 */
import type { NodeRecord, SlotCounts, Store } from '../store/store.js';
import type { PlacedSession, Placement, PlacementRequest } from './placement.js';

interface Candidate {
  node: NodeRecord;
  slots: SlotCounts;
}

export class SimplePlacement implements Placement {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async place({ sessionId, game, reservationTtlMs }: PlacementRequest): Promise<PlacedSession | null> {
    const nodes = await this.#store.listNodes();
    const candidates = await Promise.all(nodes.map(async (node): Promise<Candidate> => ({ node, slots: await this.#store.nodeSlots(node.nodeId) })));
    const open = candidates.filter((candidate) => candidate.slots.free > 0).sort(byFreeSlotsThenPrice);
    // Nodes without the build can fetch it, so they stay in line behind those that cache it.
    const cached = open.filter((candidate) => candidate.node.builds.includes(game.buildId));
    const uncached = open.filter((candidate) => !candidate.node.builds.includes(game.buildId));

    // Counts read above may be stale by now; the store's atomic reservation is what decides.
    for (const { node } of [...cached, ...uncached]) {
      const reservation = await this.#store.reserveSlot(node.nodeId, sessionId, reservationTtlMs);
      if (reservation !== null) return { node, reservation };
    }
    return null;
  }
}

function byFreeSlotsThenPrice(a: Candidate, b: Candidate): number {
  return b.slots.free - a.slots.free || a.node.pricePerHour - b.node.pricePerHour;
}
