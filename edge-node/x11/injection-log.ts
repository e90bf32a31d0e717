/**
 * When each input went to the display, so that a captured frame can be stamped with the last
 * input injected before its capture began (not before the node happened to read it: a node
 * that reads a frame late has injected inputs meanwhile that the frame cannot show).
 */

/** Bounds the log where frames stop coming while inputs still do. */
const MAX_ENTRIES = 1024;

export class InjectionLog {
  private seqs: number[] = [];
  private times: number[] = [];
  /** The seq of the newest input dropped from the log: injected before a capture already stamped (or, past the bound, long ago). */
  private floor = 0;

  /** `atMs` on the wall clock, as epoch milliseconds. */
  record(seq: number, atMs: number): void {
    this.seqs.push(seq);
    this.times.push(atMs);
    if (this.seqs.length > MAX_ENTRIES) this.drop(1);
  }

  /**
   * The seq of the last input injected strictly before `captureMs` (epoch milliseconds), or the
   * floor. Captures come in order, so entries before it are not needed again.
   */
  lastBefore(captureMs: number): number {
    let count = 0;
    while (count < this.times.length && this.times[count]! < captureMs) count++;
    this.drop(count);
    return this.floor;
  }

  private drop(count: number): void {
    if (count === 0) return;
    this.floor = this.seqs[count - 1]!;
    this.seqs = this.seqs.slice(count);
    this.times = this.times.slice(count);
  }
}
