/**
 * When the checker visits each node: soon after it joins, then after exponentially distributed
 * gaps drawn from a cryptographic source. The gaps are memoryless, so nothing a node has seen
 * (when its last check came, how many it had) tells it when the next one comes.
 */
import { randomInt } from 'node:crypto';

export interface CheckScheduleOptions {
  /** A new node is checked within this long of the checker first seeing it. */
  joinDelayMs: number;
  /** The mean gap between two checks of a node. */
  meanIntervalMs: number;
  /** Uniform in [0, 1); the default is crypto's. */
  random?: () => number;
}

/** randomInt takes ranges below 2^48. */
const RANDOM_RANGE = 2 ** 48 - 1;

export class CheckSchedule {
  readonly #due = new Map<string, number>();
  readonly #options: CheckScheduleOptions;
  readonly #random: () => number;

  constructor(options: CheckScheduleOptions) {
    this.#options = options;
    this.#random = options.random ?? (() => randomInt(RANDOM_RANGE) / RANDOM_RANGE);
  }

  /** Takes the live node ids: new ones get a first check, gone ones are forgotten. */
  observe(nodeIds: readonly string[], now: number): void {
    const live = new Set(nodeIds);
    for (const nodeId of this.#due.keys()) if (!live.has(nodeId)) this.#due.delete(nodeId);
    for (const nodeId of live) if (!this.#due.has(nodeId)) this.#due.set(nodeId, now + this.#random() * this.#options.joinDelayMs);
  }

  /** Node ids whose check is due, the longest overdue first. */
  due(now: number): string[] {
    return [...this.#due.entries()]
      .filter(([, at]) => at <= now)
      .sort((a, b) => a[1] - b[1])
      .map(([nodeId]) => nodeId);
  }

  /** Schedules the node's next check after one finished (or failed to run). */
  checked(nodeId: string, now: number): void {
    this.#due.set(nodeId, now - Math.log(1 - this.#random()) * this.#options.meanIntervalMs);
  }

  nextDueAt(nodeId: string): number | undefined {
    return this.#due.get(nodeId);
  }
}
