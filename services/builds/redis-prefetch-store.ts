/**
 * The prefetch store (prefetch-store.ts) in Redis: a counter per build, cell and window that
 * expires with the window after next, and a set of build ids per node. Each call touches one key,
 * so the same code runs on a Cluster.
 */
import type { Cluster, Redis } from 'ioredis';
import type { PrefetchStore } from './prefetch-store.js';

export class RedisPrefetchStore implements PrefetchStore {
  readonly #client: Redis | Cluster;
  readonly #prefix: string;

  /** The client belongs to the caller (the node store), which closes it. */
  constructor(client: Redis | Cluster, keyPrefix: string) {
    this.#client = client;
    this.#prefix = keyPrefix;
  }

  async countPlacement(buildId: string, cell: string, window: number, windowMs: number): Promise<number> {
    const key = `${this.#prefix}build-demand:${buildId}:${cell}:${window}`;
    const results = await this.#client.multi().incr(key).pexpire(key, 2 * windowMs).exec();
    return Number(results?.[0]?.[1] ?? 0);
  }

  async addPrefetch(nodeId: string, buildIds: readonly string[], ttlMs: number): Promise<void> {
    if (buildIds.length === 0) return;
    const key = this.#key(nodeId);
    await this.#client.multi().sadd(key, ...buildIds).pexpire(key, ttlMs).exec();
  }

  async takePrefetch(nodeId: string): Promise<string[]> {
    const key = this.#key(nodeId);
    const results = await this.#client.multi().smembers(key).del(key).exec();
    const members = results?.[0]?.[1];
    return Array.isArray(members) ? members.map(String) : [];
  }

  #key(nodeId: string): string {
    return `${this.#prefix}prefetch:${nodeId}`;
  }
}
