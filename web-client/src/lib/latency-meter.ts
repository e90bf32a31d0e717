/**
 * Measures input-to-decoded-frame latency: for each decoded video frame (requestVideoFrameCallback)
 * it reads the game's input-sequence strip back from the pixels and, the first time a frame
 * shows a sequence number, records how long ago that input was sent.
 */
import { StripReader } from './strip-reader.js';

export class LatencyMeter {
  readonly samples: number[] = [];
  lastFrameSeq: number | null = null;
  /** Frames this meter's callbacks saw: at most one per display refresh, so a 60 Hz screen shows no more than 60 a second. */
  framesSeen = 0;
  /**
   * Frames the page handed its compositor so far (requestVideoFrameCallback's presentedFrames):
   * more than framesSeen where two frames arrived within one refresh and only the newer was shown.
   */
  framesPresented = 0;
  private readonly strip = new StripReader();
  /** Reads finish in the order frames came, so samples keep that order too. */
  private reading: Promise<void> = Promise.resolve();
  private running = false;
  private lastMatched = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly sentAt: Map<number, number>,
  ) {}

  start(): void {
    this.running = true;
    this.video.requestVideoFrameCallback((now, meta) => this.onFrame(now, meta));
  }

  stop(): void {
    this.running = false;
  }

  /** The p-th percentile (0..100) of the last `window` samples, in ms. */
  percentile(p: number, window = 240): number | null {
    const recent = this.samples.slice(-window).sort((a, b) => a - b);
    if (recent.length === 0) return null;
    return recent[Math.min(recent.length - 1, Math.floor((p / 100) * recent.length))] ?? null;
  }

  private onFrame(_now: number, meta: VideoFrameCallbackMetadata): void {
    if (!this.running) return;
    this.framesSeen++;
    this.framesPresented = meta.presentedFrames;
    const seq = this.strip.read(this.video);
    this.reading = this.reading.then(async () => this.record(await seq, meta.presentationTime));
    this.video.requestVideoFrameCallback((now, next) => this.onFrame(now, next));
  }

  private record(seq: number | null, presentedAt: number): void {
    if (seq === null) return;
    this.lastFrameSeq = seq;
    if (seq <= this.lastMatched) return;
    const sent = this.sentAt.get(seq);
    if (sent !== undefined) this.samples.push(presentedAt - sent);
    this.lastMatched = seq;
  }
}
