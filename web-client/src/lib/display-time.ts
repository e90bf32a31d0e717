/**
 * When a video frame can first be on screen. requestVideoFrameCallback's expectedDisplayTime is
 * the refresh Chromium means to show the frame at, but on its WebRTC path it is at times a
 * refresh that began before the frame was even received (docs/latency.md traces it), which would
 * count the frame as shown before it arrived. Such a time is moved on by whole refreshes to the
 * first one at or after the frame was handed to the compositor: never earlier than Chromium says.
 */
export function shownAt(expectedDisplayTime: number, presentedAt: number, refreshMs: number): number {
  if (expectedDisplayTime >= presentedAt || !(refreshMs > 0)) return expectedDisplayTime;
  return expectedDisplayTime + Math.ceil((presentedAt - expectedDisplayTime) / refreshMs) * refreshMs;
}

/** Refresh steps kept: a second's worth at 60 Hz, enough that a few skipped refreshes never hide the period. */
const STEPS_KEPT = 60;
/** Steps shorter than this are two callbacks of one refresh, not a refresh period. */
const MIN_STEP_MS = 2;

/**
 * The display's refresh period, from the times of the refreshes that sampled frames: the shortest
 * recent step, since a refresh that showed no new frame makes a step of two periods, never half.
 */
export class RefreshPeriod {
  #last: number | undefined;
  #steps: number[] = [];

  /** Before any refresh is seen, a 60 Hz display's. */
  get ms(): number {
    return this.#steps.length === 0 ? 1000 / 60 : Math.min(...this.#steps);
  }

  add(refreshAt: number): void {
    if (this.#last !== undefined && refreshAt - this.#last >= MIN_STEP_MS) {
      this.#steps.push(refreshAt - this.#last);
      if (this.#steps.length > STEPS_KEPT) this.#steps.shift();
    }
    this.#last = refreshAt;
  }
}
