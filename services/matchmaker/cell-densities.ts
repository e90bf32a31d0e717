/**
 * How many nodes cells held when last counted, kept by one control-plane instance so that a
 * search can size its first circle without a round trip to count them. Only a hint: a stale or
 * missing count costs a search one more round trip, never a wrong answer.
 */
export class CellDensities {
  readonly #counts = new Map<string, { count: number; countedAt: number }>();
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;

  constructor(options: { maxAgeMs?: number; maxEntries?: number } = {}) {
    this.#maxAgeMs = options.maxAgeMs ?? 60_000;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  /** The cell's count, unless unknown or too old. */
  get(cell: string, now = Date.now()): number | undefined {
    const entry = this.#counts.get(cell);
    if (entry === undefined) return undefined;
    if (now - entry.countedAt > this.#maxAgeMs) {
      this.#counts.delete(cell);
      return undefined;
    }
    return entry.count;
  }

  set(cell: string, count: number, now = Date.now()): void {
    // Oldest first: Map keeps insertion order, and a refresh re-inserts.
    this.#counts.delete(cell);
    if (this.#counts.size >= this.#maxEntries) this.#counts.delete(this.#counts.keys().next().value as string);
    this.#counts.set(cell, { count, countedAt: now });
  }

  /**
   * The counts of a player's own cells (finest first), where they are known well enough to size a
   * circle holding `wanted` nodes: all of them, or a coarser one holding fewer than `wanted`, which
   * the finer cells inside it cannot outnumber. Undefined when the cells must be counted.
   */
  countsFor(ownCells: readonly string[], wanted: number, now = Date.now()): number[] | undefined {
    const counts = ownCells.map((cell) => this.get(cell, now));
    for (let level = counts.length - 1; level >= 0; level--) {
      if (counts[level] !== undefined) continue;
      const coarser = counts[level + 1];
      if (coarser === undefined || coarser >= wanted) return undefined;
      counts[level] = coarser;
    }
    return counts as number[];
  }
}
