/**
 * Display-synchronised frame pacing: tells the node how to shift the game's frame clock so that
 * frames land at a steady phase between two of the page's display refreshes, early enough to make
 * the compositor's deadline for the next one.
 *
 * At 60 fps on a 60 Hz display each refresh shows the newest frame. A frame that lands next to a
 * refresh races it: a few milliseconds of jitter either way and two frames share one refresh
 * while the next shows none. Where they land is luck of the two clocks' phase, and a phase kept
 * for a whole session can cost a player several frames a second. The page measures, for every
 * frame it samples, how long before the sampling refresh began the frame reached the compositor
 * (its lead), and once per window asks for the shift that brings the circular mean of that lead
 * to its target, a margin before the refresh, which draws the frame at once (docs/latency.md,
 * "The pacer's target": shorter margins measured lower medians and longer tails).
 * It only paces when the display refreshes at the frame rate (a 144 Hz screen has no phase to
 * keep) and when the shift is worth asking for.
 */
export interface FramePacerOptions {
  /** Frames per report; at 60 fps about two a second, just over the node's limit of one shift per half second. */
  window?: number;
  /** How much of the measured error each report asks to correct: less than all, since frames jitter. */
  gain?: number;
  /** Shifts smaller than this are not asked for. */
  minShiftMs?: number;
  /**
   * How long before the refresh that samples it a frame should arrive, as a share of the refresh
   * period. The shorter the lead, the younger the frame when shown; a frame that arrives after
   * that refresh waits a whole period for the next, and the one after it then shares a refresh,
   * so the lead keeps a margin for jitter.
   */
  targetLead?: number;
}

export interface SampledFrame {
  /** The refresh's timestamp (requestVideoFrameCallback's `now`). */
  refreshAt: number;
  /** When the frame was handed to the compositor (metadata.presentationTime). */
  presentedAt: number;
  /** The frame's RTP timestamp (90 kHz), whose steps give the frame period. */
  rtpTimestamp: number;
}

/** What the pacer has seen so far, for the stats overlay's readers (tests, benchmarks). */
export interface PacingReport {
  /** Windows it judged: frames at the display's rate. */
  windows: number;
  /** Of those, the windows after which it asked the node for a shift. */
  shifts: number;
}

const RTP_CLOCK_PER_MS = 90;

export class FramePacer {
  readonly #window: number;
  readonly #gain: number;
  readonly #minShiftMs: number;
  readonly #targetLead: number;
  #frames: SampledFrame[] = [];
  #running = false;
  readonly #report: PacingReport = { windows: 0, shifts: 0 };

  constructor(
    private readonly requestShift: (shiftMs: number) => void,
    options: FramePacerOptions = {},
  ) {
    this.#window = options.window ?? 32;
    this.#gain = options.gain ?? 0.6;
    this.#minShiftMs = options.minShiftMs ?? 1;
    this.#targetLead = options.targetLead ?? 0.35;
  }

  /** Samples every frame `video` shows from now on. */
  start(video: HTMLVideoElement): void {
    this.#running = true;
    const onFrame = (now: number, meta: VideoFrameCallbackMetadata): void => {
      if (!this.#running) return;
      this.add({ refreshAt: now, presentedAt: meta.presentationTime, rtpTimestamp: meta.rtpTimestamp ?? 0 });
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }

  stop(): void {
    this.#running = false;
  }

  get report(): PacingReport {
    return { ...this.#report };
  }

  /** Adds one sampled frame; every `window` frames it may ask for a shift. Returns the shift asked, if any. */
  add(frame: SampledFrame): number | null {
    this.#frames.push(frame);
    if (this.#frames.length < this.#window) return null;
    const frames = this.#frames;
    this.#frames = [];
    const refreshMs = median(steps(frames.map((f) => f.refreshAt)));
    const frameMs = median(steps(frames.map((f) => f.rtpTimestamp)).map((step) => step / RTP_CLOCK_PER_MS));
    // Written to fail on NaN too: without RTP timestamps there is no frame period to lock to.
    if (!(Math.abs(refreshMs - frameMs) <= refreshMs * 0.05)) return null;
    const lead = circularMean(frames.map((f) => f.refreshAt - f.presentedAt), refreshMs);
    this.#report.windows++;
    // Landing earlier than the target (a longer lead) means the clock should run later.
    const shiftMs = wrap(lead - refreshMs * this.#targetLead, refreshMs) * this.#gain;
    // The first window always asks, however small the shift: it tells the node the display is locked to the frames.
    if (Math.abs(shiftMs) < this.#minShiftMs && this.#report.shifts > 0) return null;
    this.#report.shifts++;
    this.requestShift(shiftMs);
    return shiftMs;
  }
}

function steps(values: number[]): number[] {
  return values.slice(1).map((value, i) => value - (values[i] ?? value)).filter((step) => step > 0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? NaN;
}

/** The mean of values on a circle of circumference `period`, in [0, period). */
export function circularMean(values: number[], period: number): number {
  let x = 0;
  let y = 0;
  for (const value of values) {
    const angle = (2 * Math.PI * value) / period;
    x += Math.cos(angle);
    y += Math.sin(angle);
  }
  const mean = (Math.atan2(y, x) / (2 * Math.PI)) * period;
  return (mean + period) % period;
}

/** `value` moved by whole periods into [-period/2, period/2). */
function wrap(value: number, period: number): number {
  return value - period * Math.floor(value / period + 0.5);
}
