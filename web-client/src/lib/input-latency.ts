/**
 * Input-to-display latency as a player feels it: from each input event's own `timeStamp` (when
 * the browser got the key, click, move or pad change) to the moment the first frame showing it
 * is expected on screen. Both ends are on the page's performance.now() clock.
 *
 * Every input counts, not only the newest one a frame carries: the game applies inputs in order,
 * so a frame showing sequence number N answers every input up to N that no earlier frame answered.
 * A burst of inputs between two frames is therefore N samples, the oldest being the slowest.
 */

/** Inputs whose time a meter can still look up; older ones are forgotten by the capture. */
export const REMEMBERED_INPUTS = 4096;

export class InputLatency {
  readonly samples: number[] = [];
  /** The sequence number the newest frame showed. */
  lastFrameSeq: number | null = null;
  #answered = 0;

  /** `inputAt` maps each sent input's sequence number to its event's timeStamp. */
  constructor(private readonly inputAt: ReadonlyMap<number, number>) {}

  /** A frame showing input `seq` is expected on screen at `displayAt`. */
  frameShown(seq: number, displayAt: number): void {
    this.lastFrameSeq = seq;
    if (seq <= this.#answered) return;
    for (let answered = Math.max(this.#answered + 1, seq - REMEMBERED_INPUTS + 1); answered <= seq; answered++) {
      const at = this.inputAt.get(answered);
      if (at !== undefined) this.samples.push(displayAt - at);
    }
    this.#answered = seq;
  }

  /** The p-th percentile (0..100) of the last `window` samples, in ms. */
  percentile(p: number, window = 240): number | null {
    const recent = this.samples.slice(-window).sort((a, b) => a - b);
    if (recent.length === 0) return null;
    return recent[Math.min(recent.length - 1, Math.floor((p / 100) * recent.length))] ?? null;
  }
}
