/**
 * What build prefetching keeps between instances: placements per build and H3 cell in the current
 * window (how popular a build is where), the builds each node is to be asked to fetch with its
 * next heartbeat, and which nodes have such requests waiting (read once in a while per instance,
 * so that a heartbeat costs no store read unless its node has something waiting). In memory for
 * one machine; in Redis (redis-prefetch-store.ts) for several.
 */

export interface PrefetchStore {
  /** Counts one more placement of `buildId` in `cell` in the window `window`; returns the window's count so far. */
  countPlacement(buildId: string, cell: string, window: number, windowMs: number): Promise<number>;
  /** Asks `nodeId` to fetch the builds with its next heartbeat (the request lapses after `ttlMs`). */
  addPrefetch(nodeId: string, buildIds: readonly string[], ttlMs: number): Promise<void>;
  /** The builds `nodeId` is asked to fetch, handed out once. */
  takePrefetch(nodeId: string): Promise<string[]>;
  /** Nodes that may have requests waiting (some may have lapsed). */
  pendingNodes(): Promise<string[]>;
}

export class MemoryPrefetchStore implements PrefetchStore {
  readonly #counts = new Map<string, { window: number; count: number }>();
  readonly #requests = new Map<string, { buildIds: Set<string>; expiresAt: number }>();

  async countPlacement(buildId: string, cell: string, window: number): Promise<number> {
    const key = `${buildId}:${cell}`;
    const kept = this.#counts.get(key);
    const count = kept?.window === window ? kept.count + 1 : 1;
    // Counts of earlier windows are dropped as they are met, so the map holds one entry per build and cell.
    this.#counts.set(key, { window, count });
    return count;
  }

  async addPrefetch(nodeId: string, buildIds: readonly string[], ttlMs: number): Promise<void> {
    const kept = this.#live(nodeId);
    this.#requests.set(nodeId, { buildIds: new Set([...(kept?.buildIds ?? []), ...buildIds]), expiresAt: Date.now() + ttlMs });
  }

  async takePrefetch(nodeId: string): Promise<string[]> {
    const kept = this.#live(nodeId);
    this.#requests.delete(nodeId);
    return kept === undefined ? [] : [...kept.buildIds];
  }

  async pendingNodes(): Promise<string[]> {
    return [...this.#requests.keys()];
  }

  #live(nodeId: string): { buildIds: Set<string>; expiresAt: number } | undefined {
    const kept = this.#requests.get(nodeId);
    return kept !== undefined && kept.expiresAt > Date.now() ? kept : undefined;
  }
}
