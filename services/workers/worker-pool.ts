/**
 * One control-plane instance per core on one machine: node:cluster workers that share the
 * listening port (the primary hands each new connection to the next worker in turn). Instances
 * keep no state that matters (DESIGN: scaling out), so workers need only the same store and the
 * same secrets, which the primary passes in their environment. A worker that dies is replaced,
 * unless workers keep dying, which is a fault no restart cures.
 */
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { isControlPlaneListening } from '../../protocol/control-plane-process.js';
import type { Logger } from '../logging/logger.js';

export interface WorkerPoolOptions {
  workers: number;
  /** Added to every worker's environment. */
  env: Record<string, string>;
  log: Logger;
  /** Unexpected exits tolerated per minute; one more stops the pool. */
  maxRestartsPerMinute?: number;
  /** Hears of a pool that had to stop after it started, because workers kept dying. */
  onFailure: (error: Error) => void;
}

export class WorkerStartError extends Error {
  override name = 'WorkerStartError';
}

export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #log: Logger;
  readonly #workers = new Set<Worker>();
  readonly #restarts: number[] = [];
  #closing = false;

  constructor(options: WorkerPoolOptions) {
    if (!cluster.isPrimary) throw new WorkerStartError('a worker pool runs in the primary process');
    this.#options = options;
    this.#log = options.log.child({ component: 'workers' });
  }

  /** The process ids of the live workers. */
  get pids(): number[] {
    return [...this.#workers].flatMap((worker) => (worker.process.pid === undefined ? [] : [worker.process.pid]));
  }

  /** Starts every worker and resolves with the URL they listen on once all do. */
  async start(): Promise<string> {
    try {
      const urls = await Promise.all(Array.from({ length: this.#options.workers }, () => this.#fork(false)));
      return urls[0]!;
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      [...this.#workers].map(async (worker) => {
        if (worker.isDead()) return;
        const exited = once(worker, 'exit');
        // SIGTERM: each worker closes its server and store connections before it exits.
        worker.process.kill('SIGTERM');
        const timer = setTimeout(() => worker.process.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /**
   * Starts a worker. One of the first fails the start if it exits before it listens; a
   * replacement that does counts as one more death, like any other.
   */
  #fork(replacing: boolean): Promise<string> {
    const worker = cluster.fork(this.#options.env);
    this.#workers.add(worker);
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.once('exit', (code: number | null, signal: string | null) => {
        if (listening || replacing) this.#onExit(worker, code, signal);
        else {
          this.#workers.delete(worker);
          reject(new WorkerStartError(`control-plane worker ${worker.process.pid} exited before it listened (code ${code}, signal ${signal})`));
        }
      });
      worker.on('message', (message: unknown) => {
        if (!isControlPlaneListening(message) || listening) return;
        listening = true;
        this.#log.debug({ pid: worker.process.pid, url: message.url }, 'worker listening');
        resolve(message.url);
      });
    });
  }

  #onExit(worker: Worker, code: number | null, signal: string | null): void {
    this.#workers.delete(worker);
    if (this.#closing) return;
    const now = Date.now();
    this.#restarts.push(now);
    while (this.#restarts.length > 0 && this.#restarts[0]! < now - 60_000) this.#restarts.shift();
    const allowed = this.#options.maxRestartsPerMinute ?? 5;
    if (this.#restarts.length > allowed) {
      const error = new WorkerStartError(`control-plane workers exited ${this.#restarts.length} times within a minute; stopping`);
      this.#log.fatal({ pid: worker.process.pid, code, signal }, error.message);
      void this.close().then(() => this.#options.onFailure(error));
      return;
    }
    this.#log.error({ pid: worker.process.pid, code, signal }, 'control-plane worker exited; starting another');
    // A replacement's own failure comes back through #onExit: nothing to handle here.
    this.#fork(true).catch(() => {});
  }
}
