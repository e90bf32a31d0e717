/**
 * The rate at which video actually left the node over a sliding window. The encoder rarely sends
 * its whole target (a quiet scene needs less), so when the link loses packets it is this rate, not
 * the target, that the link failed to carry.
 *
 * Pure: time comes in with each call.
 */
export class SentRate {
  private readonly samples: Array<{ atMs: number; bytes: number }> = [];
  private firstAtMs: number | undefined;

  constructor(readonly windowMs = 1000) {}

  /** `bytes` of video went out at `nowMs`. */
  add(bytes: number, nowMs: number): void {
    this.firstAtMs ??= nowMs;
    this.samples.push({ atMs: nowMs, bytes });
    this.prune(nowMs);
  }

  /** kbit/s over the window ending at `nowMs`, or undefined until a whole window has been seen. */
  kbps(nowMs: number): number | undefined {
    if (this.firstAtMs === undefined || nowMs - this.firstAtMs < this.windowMs) return undefined;
    this.prune(nowMs);
    let bytes = 0;
    for (const sample of this.samples) bytes += sample.bytes;
    return (bytes * 8) / this.windowMs;
  }

  private prune(nowMs: number): void {
    while (this.samples.length > 0 && this.samples[0]!.atMs <= nowMs - this.windowMs) this.samples.shift();
  }
}
