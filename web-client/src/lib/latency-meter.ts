/**
 * Measures input-to-decoded-frame latency: for each decoded video frame (requestVideoFrameCallback)
 * it reads the game's input-sequence strip back from the pixels and, the first time a frame
 * shows a sequence number, records how long ago that input was sent.
 */
import { decodeStrip, STRIP_CELL, STRIP_WIDTH } from '../../../protocol/latency-strip.js';

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
  private readonly canvas = document.createElement('canvas');
  private readonly context: CanvasRenderingContext2D;
  private running = false;
  private lastMatched = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly sentAt: Map<number, number>,
  ) {
    this.canvas.width = STRIP_WIDTH;
    this.canvas.height = STRIP_CELL;
    const context = this.canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('2D canvas is not available');
    this.context = context;
  }

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
    // Only the strip's own pixels are copied back: a full-frame read-back would cost more than the decode.
    this.context.drawImage(this.video, 0, 0, STRIP_WIDTH, STRIP_CELL, 0, 0, STRIP_WIDTH, STRIP_CELL);
    const seq = decodeStrip(this.context.getImageData(0, 0, STRIP_WIDTH, STRIP_CELL).data, STRIP_WIDTH);
    if (seq !== null) {
      this.lastFrameSeq = seq;
      if (seq > this.lastMatched) {
        const sent = this.sentAt.get(seq);
        if (sent !== undefined) this.samples.push(meta.presentationTime - sent);
        this.lastMatched = seq;
      }
    }
    this.video.requestVideoFrameCallback((now, next) => this.onFrame(now, next));
  }
}
