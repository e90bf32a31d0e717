/**
 * Display-synchronised frame pacing: tells the node how to shift the game's frame clock so that
 * frames land at a steady phase between two of the page's display refreshes, early enough to make
 * the compositor's deadline for the next one.
 *
 * At 60 fps on a 60 Hz display each refresh shows the newest frame. A frame that lands next to a
 * refresh races it: a few milliseconds of jitter either way and two frames share one refresh
 * while the next shows none. Where they land is luck of the two clocks' phase; a player who
 * stopped pressing keys kept one phase and saw 51 fps, another phase gave 58. The page measures,
 * for every frame it samples, how long before the sampling the frame arrived, and once per
 * window asks for the shift that brings the circular mean of that lead to half a period.
 * It only paces when the display refreshes at the frame rate (a 144 Hz screen has no phase to
 * keep) and when the shift is worth asking for.
 */

export interface FramePacerOptions {
  /** Frames per report; at 60 fps one a second. */
  window?: number;
  /** How much of the measured error each report asks to correct: less than all, since frames jitter. */
  gain?: number;
  /** Shifts smaller than this are not asked for. */
  minShiftMs?: number;
  /**
   * How long before the refresh that samples it a frame should arrive, as a share of the refresh
   * period. A frame must reach the compositor some milliseconds before the refresh, and a lead is
   * only known modulo a period: one that just misses that deadline, shown a refresh late, looks
   * like one that made it. Midway was past the deadline of this machine's Chromium (every frame a
   * refresh late); three quarters makes it and still leaves a quarter period of jitter before the
   * refresh before.
   */
  targetLead?: number;
  /** Whether to try the target half a period away once, at the start, and keep the better (default true). */
  tryOtherHalf?: boolean;
}

export interface SampledFrame {
  /** The refresh's timestamp (requestVideoFrameCallback's `now`). */
  refreshAt: number;
  /** When the page's callback ran, the moment the frame was sampled (performance.now()). */
  sampledAt: number;
  /** When the frame was handed to the compositor (metadata.presentationTime). */
  presentedAt: number;
  /** The frame's RTP timestamp (90 kHz), whose steps give the frame period. */
  rtpTimestamp: number;
}

const RTP_CLOCK_PER_MS = 90;

export class FramePacer {
  readonly #window: number;
  readonly #gain: number;
  readonly #minShiftMs: number;
  #targetLead: number;
  #frames: SampledFrame[] = [];
  #running = false;
  /** The start-up trial of the two targets (below); undefined once one is chosen. */
  #trial: TargetTrial | undefined;

  constructor(
    private readonly requestShift: (shiftMs: number) => void,
    options: FramePacerOptions = {},
  ) {
    this.#window = options.window ?? 60;
    this.#gain = options.gain ?? 0.6;
    this.#minShiftMs = options.minShiftMs ?? 1;
    this.#targetLead = options.targetLead ?? 0.75;
    this.#trial = options.tryOtherHalf === false ? undefined : { ages: [], windowsAtTarget: 0 };
  }

  /** Samples every frame `video` shows from now on. */
  start(video: HTMLVideoElement): void {
    this.#running = true;
    const onFrame = (now: number, meta: VideoFrameCallbackMetadata): void => {
      if (!this.#running) return;
      this.add({ refreshAt: now, sampledAt: performance.now(), presentedAt: meta.presentationTime, rtpTimestamp: meta.rtpTimestamp ?? 0 });
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }

  stop(): void {
    this.#running = false;
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
    const lead = circularMean(frames.map((f) => f.sampledAt - f.presentedAt), refreshMs);
    // Landing earlier than the target (a longer lead) means the clock should run later.
    const errorMs = wrap(lead - refreshMs * this.#targetLead, refreshMs);
    if (this.#trial !== undefined) this.#judgeTrial(this.#trial, frames, Math.abs(errorMs) <= refreshMs * SETTLED_SHARE);
    const shiftMs = errorMs * this.#gain;
    if (Math.abs(shiftMs) < this.#minShiftMs) return null;
    this.requestShift(shiftMs);
    return shiftMs;
  }

  /**
   * A lead is known only modulo a period, so a frame clock can settle where every frame is shown a
   * refresh later than it could be, and nothing in the lead says so. How old frames are when shown
   * does: the refresh that samples a frame less its RTP time (the node's clock, so only differences
   * between windows mean anything). Once settled at the target, the pacer measures that age, moves
   * to the target half a period away, measures again, and keeps whichever showed frames younger.
   */
  #judgeTrial(trial: TargetTrial, frames: SampledFrame[], settled: boolean): void {
    trial.windowsAtTarget++;
    if (!settled || trial.windowsAtTarget < SETTLE_WINDOWS) return;
    trial.ages.push({ targetLead: this.#targetLead, ageMs: median(frames.map((f) => f.refreshAt - f.rtpTimestamp / RTP_CLOCK_PER_MS)) });
    if (trial.ages.length === 1) {
      this.#targetLead = (this.#targetLead + 0.5) % 1;
      trial.windowsAtTarget = 0;
      return;
    }
    const [first, second] = trial.ages as [FrameAge, FrameAge];
    if (first.ageMs < second.ageMs) this.#targetLead = first.targetLead;
    this.#trial = undefined;
  }
}

interface FrameAge {
  targetLead: number;
  ageMs: number;
}

interface TargetTrial {
  ages: FrameAge[];
  windowsAtTarget: number;
}

/** Windows at a target before its frames' age is measured: the clock moves a share of the error per window. */
const SETTLE_WINDOWS = 2;
/** Within this share of a period of the target, frames count as landing at it. */
const SETTLED_SHARE = 0.1;

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
