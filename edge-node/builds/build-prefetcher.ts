/**
 * Fetches the builds the control plane asks this node to hold before a player needs them (a
 * heartbeat ack's `prefetch`), in the background: one download at a time, so prefetching never
 * takes more than one download's share of the uplink from the sessions, and a bounded queue, so a
 * control plane cannot pile work on the node. A prefetched build is cached like any other; the
 * cache's change is what tells the control plane the node holds it.
 */
import type { Logger } from 'pino';
import type { BuildCache } from './build-cache.js';
import type { BuildSource } from './build-download.js';

export const DEFAULT_MAX_QUEUED_PREFETCHES = 8;

export interface BuildPrefetcherOptions {
  cache: Pick<BuildCache, 'has' | 'acquire'>;
  /** Where to fetch a build from (peers first), asked for just before its download. */
  sources: (buildId: string) => Promise<BuildSource[]>;
  maxQueued?: number;
  logger: Logger;
}

export class BuildPrefetcher {
  private readonly queue: string[] = [];
  private draining = false;
  private stopped = false;

  constructor(private readonly options: BuildPrefetcherOptions) {}

  /** Queues the builds not held or queued yet; those past the bound are dropped (the control plane asks again). */
  request(buildIds: readonly string[]): void {
    const maxQueued = this.options.maxQueued ?? DEFAULT_MAX_QUEUED_PREFETCHES;
    for (const buildId of buildIds) {
      if (this.stopped || this.options.cache.has(buildId) || this.queue.includes(buildId)) continue;
      if (this.queue.length >= maxQueued) {
        this.options.logger.warn({ buildId, queued: this.queue.length }, 'prefetch queue full; build not prefetched');
        continue;
      }
      this.queue.push(buildId);
    }
    if (!this.draining && this.queue.length > 0) {
      this.draining = true;
      void this.drain();
    }
  }

  /** Drops what is queued; a download under way ends with the cache it writes to. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    for (let buildId = this.queue.shift(); buildId !== undefined && !this.stopped; buildId = this.queue.shift()) {
      if (this.options.cache.has(buildId)) continue;
      try {
        const lease = await this.options.cache.acquire(buildId, await this.options.sources(buildId));
        lease.release();
        this.options.logger.info({ buildId }, 'build prefetched');
      } catch (error) {
        this.options.logger.warn({ err: error, buildId }, 'prefetch failed');
      }
    }
    this.draining = false;
  }
}
