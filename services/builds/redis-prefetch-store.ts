/**
 * The prefetch store (prefetch-store.ts) in Redis: a counter per build, cell and window that
 * expires with the window after next, a set of build ids per node, and a set of the nodes with
 * requests waiting. Each transaction touches one key, so the same code runs on a Cluster.
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
    const key = this.#nodeKey(nodeId);
    await this.#client.multi().sadd(key, ...buildIds).pexpire(key, ttlMs).exec();
    // Listed after its requests exist, so an instance that sees the node listed finds them.
    await this.#client.multi().sadd(this.#pendingKey(), nodeId).pexpire(this.#pendingKey(), ttlMs).exec();
  }

  async takePrefetch(nodeId: string): Promise<string[]> {
    const key = this.#nodeKey(nodeId);
    // Unlisted before its requests are read: a request added meanwhile is read now or listed again by its adder.
    await this.#client.srem(this.#pendingKey(), nodeId);
    const results = await this.#client.multi().smembers(key).del(key).exec();
    const members = results?.[0]?.[1];
    return Array.isArray(members) ? members.map(String) : [];
  }

  async pendingNodes(): Promise<string[]> {
    return this.#client.smembers(this.#pendingKey());
  }

  #nodeKey(nodeId: string): string {
    return `${this.#prefix}prefetch:${nodeId}`;
  }

  #pendingKey(): string {
    return `${this.#prefix}prefetch-nodes`;
  }
}
