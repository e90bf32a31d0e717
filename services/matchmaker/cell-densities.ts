/**
 * How many nodes each player's own cells held when last counted, kept by one control-plane
 * instance so that a search can size its first circle without a round trip to count them. Only a
 * hint: a stale or missing count costs a search one more round trip, never a wrong answer.
 */
export class CellDensities {
  readonly #counts = new Map<string, { counts: number[]; countedAt: number }>();
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;

  constructor(options: { maxAgeMs?: number; maxEntries?: number } = {}) {
    this.#maxAgeMs = options.maxAgeMs ?? 60_000;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  /** The counts of the cells `key` names (the player's finest cell), unless too old. */
  get(key: string, now = Date.now()): number[] | undefined {
    const entry = this.#counts.get(key);
    if (entry === undefined) return undefined;
    if (now - entry.countedAt > this.#maxAgeMs) {
      this.#counts.delete(key);
      return undefined;
    }
    return entry.counts;
  }

  set(key: string, counts: number[], now = Date.now()): void {
    // Oldest first: Map keeps insertion order, and a refresh re-inserts.
    this.#counts.delete(key);
    if (this.#counts.size >= this.#maxEntries) this.#counts.delete(this.#counts.keys().next().value as string);
    this.#counts.set(key, { counts, countedAt: now });
  }
}
