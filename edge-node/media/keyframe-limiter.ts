/**
 * Rate-limits the keyframes that receivers ask for (PLI/FIR). A keyframe is many times the size of
 * a delta frame; during a loss burst every lost keyframe packet brings another request, and
 * answering each one would flood the very link that is losing packets (a keyframe storm). The
 * first request is answered on the next frame; later ones within `minIntervalMs` of the last
 * keyframe wait and are answered together when the interval ends. A player sending a stream of
 * PLIs gets no more keyframes than this either.
 */
export class KeyframeLimiter {
  private pending = false;
  private lastKeyframeAt = -Infinity;

  constructor(private readonly minIntervalMs: number) {}

  /** A receiver asked for a keyframe. */
  request(): void {
    this.pending = true;
  }

  /** Whether the frame about to be encoded should be a keyframe; a true answer consumes the request. */
  take(nowMs: number): boolean {
    if (!this.pending || nowMs - this.lastKeyframeAt < this.minIntervalMs) return false;
    this.pending = false;
    return true;
  }

  /** A keyframe went out (asked for or not: a new encoder starts with one). */
  sent(nowMs: number): void {
    this.lastKeyframeAt = nowMs;
  }

  /** True while a request waits for its turn. */
  get waiting(): boolean {
    return this.pending;
  }
}
