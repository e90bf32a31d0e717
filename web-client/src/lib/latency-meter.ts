/**
 * Input-to-display latency on the <video> element path (input-latency.ts says what is measured).
 * For each video frame the page composites (requestVideoFrameCallback) it reads the game's
 * input-sequence strip back from the pixels and takes the refresh at which the compositor draws
 * the frame as the moment its inputs were shown (display-time.ts says why that, and not
 * Chromium's expectedDisplayTime).
 */
import { RefreshPeriod, shownAt } from './display-time.js';
import { InputLatency } from './input-latency.js';
import { StripReader } from './strip-reader.js';

/** What a player's view reports about the frames it showed, whichever way it paints them. */
export interface DisplayMeter {
  readonly latency: InputLatency;
  /** Frames the page sampled: at most one per display refresh. */
  readonly framesSeen: number;
  /** Frames delivered for display (decoded and handed to the compositor, or painted), at any rate. */
  readonly framesPresented: number;
  stop(): void;
}

export class LatencyMeter implements DisplayMeter {
  readonly latency: InputLatency;
  /** Frames this meter's callbacks saw: at most one per display refresh, so a 60 Hz screen shows no more than 60 a second. */
  framesSeen = 0;
  /**
   * Frames the page handed its compositor so far (requestVideoFrameCallback's presentedFrames):
   * more than framesSeen where two frames arrived within one refresh and only the newer was shown.
   */
  framesPresented = 0;
  private readonly strip = new StripReader();
  private readonly refresh = new RefreshPeriod();
  /** Reads finish in the order frames came, so samples keep that order too. */
  private reading: Promise<void> = Promise.resolve();
  private running = false;

  constructor(
    private readonly video: HTMLVideoElement,
    inputAt: ReadonlyMap<number, number>,
  ) {
    this.latency = new InputLatency(inputAt);
  }

  start(): void {
    this.running = true;
    this.video.requestVideoFrameCallback((now, meta) => this.onFrame(now, meta));
  }

  stop(): void {
    this.running = false;
  }

  private onFrame(now: number, meta: VideoFrameCallbackMetadata): void {
    if (!this.running) return;
    this.framesSeen++;
    const framesSince = this.framesSeen === 1 ? 1 : meta.presentedFrames - this.framesPresented;
    this.framesPresented = meta.presentedFrames;
    this.refresh.add(now);
    const displayAt = shownAt({ presentedAt: meta.presentationTime, expectedAt: meta.expectedDisplayTime, refreshAt: now }, this.refresh.ms, framesSince);
    const seq = this.strip.read(this.video, meta.mediaTime);
    this.reading = this.reading.then(async () => {
      const shown = await seq;
      if (shown !== null) this.latency.frameShown(shown, displayAt);
    });
    this.video.requestVideoFrameCallback((now, next) => this.onFrame(now, next));
  }
}
