/** Drives the load generator process (load-generator.ts) from the benchmark. */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Endpoints, Nodes } from './latency-model.js';
import type { LoadJob, LoadReply, LoadRequest, LoadResult } from './load-protocol.js';

const GENERATOR = fileURLToPath(new URL('./load-generator.ts', import.meta.url));

export class LoadGenerator {
  readonly #child: ChildProcess;
  #waiting: ((reply: LoadReply) => void) | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (message: LoadReply) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.(message);
    });
  }

  /** Forks the generator (with this process's loader flags, so tsx runs it) and waits until it listens. */
  static async start(): Promise<LoadGenerator> {
    const child = fork(GENERATOR, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const generator = new LoadGenerator(child);
    const ready = await generator.#next(undefined);
    if (ready.kind !== 'ready') throw new Error('the load generator did not start');
    return generator;
  }

  /** Gives the generator the latency model's world, for the RTTs its players report. */
  async setWorld(players: Endpoints, nodes: Nodes): Promise<void> {
    const pick = (e: Endpoints): Endpoints => ({
      count: e.count,
      lat: e.lat,
      lng: e.lng,
      latRad: e.latRad,
      cosLat: e.cosLat,
      lngRad: e.lngRad,
      lastMileMs: e.lastMileMs,
    });
    const reply = await this.#next({ kind: 'world', players: pick(players), nodes: { ...pick(nodes), penaltyMs: nodes.penaltyMs, extraMs: nodes.extraMs } });
    if (reply.kind !== 'ready') throw new Error('the load generator did not take the world');
  }

  async run(job: LoadJob): Promise<LoadResult> {
    const reply = await this.#next({ kind: 'job', job });
    if (reply.kind === 'error') throw new Error(`load generator: ${reply.message}`);
    if (reply.kind !== 'result') throw new Error('the load generator answered out of turn');
    return reply.result;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = once(this.#child, 'exit');
    this.#child.send({ kind: 'exit' } satisfies LoadRequest);
    const timer = setTimeout(() => this.#child.kill('SIGTERM'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  #next(request: LoadRequest | undefined): Promise<LoadReply> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the load generator exited (code ${code})`));
      this.#child.once('exit', onExit);
      this.#waiting = (reply) => {
        this.#child.off('exit', onExit);
        resolve(reply);
      };
      if (request !== undefined) this.#child.send(request);
    });
  }
}
