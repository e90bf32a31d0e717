/**
 * Ends the sessions of nodes that stopped heartbeating (killed, unplugged, cut off), so no record
 * stays active with no stream behind it. Every instance runs one; ending a record is atomic, so
 * two instances reaping at once end it once.
 */
import type { Logger } from '../logging/logger.js';
import type { SessionReconciler } from './session-reconciler.js';

export interface OrphanReaperOptions {
  reconciler: SessionReconciler;
  log: Logger;
  intervalMs: number;
  /**
   * Nothing is reaped this long after the instance starts: after an outage of the control plane
   * every node looks lapsed until it has heartbeated (or registered) once more.
   */
  startGraceMs: number;
}

export class OrphanReaper {
  readonly #options: OrphanReaperOptions;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(options: OrphanReaperOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'orphan-reaper' });
  }

  start(): void {
    const { intervalMs, startGraceMs } = this.#options;
    const startsAt = Date.now() + startGraceMs;
    this.#timer = setInterval(() => {
      if (Date.now() >= startsAt) void this.reap();
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One pass; a pass still running (a slow store) is not overlapped. */
  async reap(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const ended = await this.#options.reconciler.endOrphans();
      if (ended > 0) this.#log.info({ ended }, 'ended the sessions of nodes that went silent');
    } catch (error) {
      this.#log.warn({ err: error }, 'reaping orphaned sessions failed; trying again next time');
    } finally {
      this.#running = false;
    }
  }
}
