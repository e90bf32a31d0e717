/**
 * Watches the video for frames: notes when the current stream's first frame showed (how a failover
 * is timed), and reports a stall when frames stop for longer than `stallMs`, the sign of a node
 * that died without closing its connections. Not while the page is hidden, where browsers stop
 * delivering frame callbacks.
 */
const CHECK_INTERVAL_MS = 250;
/**
 * A stream is watched for stalls only once it has shown this many frames: a new stream's first
 * frames come unevenly while the game, the encoder and the decoder warm up.
 */
const WARM_UP_FRAMES = 30;

export class FrameWatchdog {
  /** When the current stream's first frame was shown (epoch ms); null until it has been. */
  firstFrameAt: number | null = null;
  private lastFrameAt = 0;
  private framesSinceArmed = 0;
  private running = false;
  /** Off between a stream's loss and the next one's start: frames the old one still shows do not count. */
  private armed = false;
  private timer: number | undefined;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly onStall: () => void,
    private readonly stallMs: number,
  ) {}

  /** Starts watching a new stream: the stall clock runs from its first frame. */
  arm(): void {
    this.firstFrameAt = null;
    this.framesSinceArmed = 0;
    this.armed = true;
    if (this.running) return;
    this.running = true;
    this.video.requestVideoFrameCallback(() => this.onFrame());
    this.timer = window.setInterval(() => this.check(), CHECK_INTERVAL_MS);
  }

  /** Watches the same stream again after a stall that turned out to be no failure. */
  resume(): void {
    this.lastFrameAt = Date.now();
    this.armed = true;
  }

  /** No stall is reported until the next stream is armed. */
  disarm(): void {
    this.firstFrameAt = null;
    this.armed = false;
  }

  stop(): void {
    this.running = false;
    window.clearInterval(this.timer);
  }

  private onFrame(): void {
    if (!this.running) return;
    if (this.armed) {
      const now = Date.now();
      this.firstFrameAt ??= now;
      this.lastFrameAt = now;
      this.framesSinceArmed++;
    }
    this.video.requestVideoFrameCallback(() => this.onFrame());
  }

  private check(): void {
    if (!this.armed || this.framesSinceArmed < WARM_UP_FRAMES || document.visibilityState !== 'visible') return;
    if (Date.now() - this.lastFrameAt <= this.stallMs) return;
    // Reported once per stream; firstFrameAt stays, to say the stream did show frames.
    this.armed = false;
    this.onStall();
  }
}
