/**
 * A frame Chromium's render algorithm made current this soon after a refresh began was made
 * current inside that refresh's frame, and is drawn in it.
 */
const MADE_CURRENT_AT_REFRESH_MS = 1.5;

/**
 * When a video frame is on screen, from requestVideoFrameCallback's metadata: its
 * `presentationTime` (when the frame reached the compositor), its `expectedDisplayTime`, and the
 * callback's own `now` (`refreshAt`), through which the grid of refreshes runs.
 *
 * Chromium hands frames to the compositor in one of two ways, and Chromium's trace of its own
 * compositor (Display::DrawAndSwap, docs/latency.md) says when each is drawn:
 * - With playout delay 0 (the low-latency path) a frame is handed over as soon as it is decoded
 *   and drawn at the first refresh after that; where more frames than this one reached the
 *   compositor since the last sampled frame (`framesSince` above 1), the compositor was most
 *   likely still drawing the one in between at that refresh (it takes a new frame only once the
 *   last is drawn), so this one goes to the refresh after. Here expectedDisplayTime is only an
 *   estimate: a refresh before the frame arrived at some phases, one or two after the draw in
 *   some sessions for as long as they last.
 * - Otherwise Chromium's render algorithm makes the frame current inside the refresh it is meant
 *   for, a moment after that refresh began, and expectedDisplayTime is that refresh: the draw.
 * The time returned is later than the draw where the compositor drew a frame at once instead of
 * at the refresh, or drew the frame in between at another; it is earlier only by the draw's own
 * fraction of a millisecond, and rarely more.
 */
export function shownAt(frame: { presentedAt: number; expectedAt: number; refreshAt: number }, refreshMs: number, framesSince = 1): number {
  const { presentedAt, expectedAt, refreshAt } = frame;
  if (presentedAt >= expectedAt && presentedAt - expectedAt < MADE_CURRENT_AT_REFRESH_MS) return expectedAt;
  if (!(refreshMs > 0)) return Math.max(presentedAt, refreshAt);
  const firstRefresh = refreshAt + Math.ceil((presentedAt - refreshAt) / refreshMs) * refreshMs;
  return framesSince > 1 ? firstRefresh + refreshMs : firstRefresh;
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
