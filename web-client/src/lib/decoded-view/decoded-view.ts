/**
 * The page painting decoded frames itself: a decoder worker (decoder-worker.ts) takes the encoded
 * frames from the video receiver, decodes them with WebCodecs and paints them on a canvas laid
 * over the <video> element, which stays in the page as the surface that takes the player's input.
 *
 * Input-to-display here ends where it does on the <video> path (display-time.ts): at the first
 * refresh that begins at or after the frame reached the compositor, here its paint (that
 * refresh's requestAnimationFrame timestamp).
 */
import type { SampledFrame } from '../frame-pacer.js';
import type { DisplayMeter } from '../latency-meter.js';
import { InputLatency } from '../input-latency.js';
import type { DecoderWorkerMessage, DecoderWorkerOptions, PassThroughOptions } from './messages.js';

/** H.264 constrained baseline, what the node sends (edge-node/media/router-config.ts). */
const CODEC = 'avc1.42e01f';
/** Refreshes remembered to place paints that the worker reports after their refresh began. */
const REFRESH_HISTORY = 16;

interface Painted {
  seq: number | null;
  /** On the page's performance.now() clock. */
  paintedAt: number;
  rtpTimestamp: number;
}

export class DecodedView implements DisplayMeter {
  readonly latency: InputLatency;
  framesSeen = 0;
  framesPresented = 0;
  decoderErrors = 0;
  readonly #canvas: HTMLCanvasElement;
  readonly #worker: Worker;
  /** Recent refresh timestamps (requestAnimationFrame's), oldest first. */
  readonly #refreshes: number[] = [];
  #waiting: Painted[] = [];
  #lastShownRefresh = -Infinity;
  #animationFrame = 0;
  #running = true;

  /** True where this browser has what the decoded view needs (encoded transforms, WebCodecs, OffscreenCanvas). */
  static supported(): boolean {
    return (
      typeof RTCRtpScriptTransform !== 'undefined' &&
      typeof VideoDecoder !== 'undefined' &&
      typeof VideoFrame !== 'undefined' &&
      typeof OffscreenCanvas !== 'undefined' &&
      typeof HTMLCanvasElement.prototype.transferControlToOffscreen === 'function'
    );
  }

  /**
   * Starts painting the video receiver's frames over `video`; call before it gets its first
   * frame. The audio receiver's frames pass through the same worker untouched (the connection's
   * encoded transforms are all or nothing: StreamClient.start). `onShown` hears where each frame
   * landed against the refreshes (for the frame pacer).
   */
  constructor(
    video: HTMLVideoElement,
    receivers: { video: RTCRtpReceiver; audio: RTCRtpReceiver },
    inputAt: ReadonlyMap<number, number>,
    private readonly onShown: (frame: SampledFrame) => void = () => undefined,
  ) {
    this.latency = new InputLatency(inputAt);
    this.#canvas = document.createElement('canvas');
    this.#canvas.className = 'decoded-view';
    this.#canvas.setAttribute('aria-hidden', 'true');
    video.after(this.#canvas);
    const offscreen = this.#canvas.transferControlToOffscreen();
    this.#worker = new Worker(new URL('./decoder-worker.js', import.meta.url), { type: 'module', name: 'edgeplay-decoder' });
    this.#worker.onmessage = (event: MessageEvent<DecoderWorkerMessage>) => this.#onMessage(event.data);
    const options: DecoderWorkerOptions = { kind: 'video', canvas: offscreen, codec: CODEC };
    receivers.video.transform = new RTCRtpScriptTransform(this.#worker, options, [offscreen]);
    const passThrough: PassThroughOptions = { kind: 'audio' };
    receivers.audio.transform = new RTCRtpScriptTransform(this.#worker, passThrough);
    this.#animationFrame = requestAnimationFrame((now) => this.#onRefresh(now));
  }

  stop(): void {
    this.#running = false;
    cancelAnimationFrame(this.#animationFrame);
    this.#worker.terminate();
    this.#canvas.remove();
  }

  #onMessage(message: DecoderWorkerMessage): void {
    if (message.type === 'decoder-error') {
      this.decoderErrors++;
      return;
    }
    this.framesPresented++;
    this.#waiting.push({ seq: message.seq, paintedAt: message.paintedAt - performance.timeOrigin, rtpTimestamp: message.rtpTimestamp });
    this.#place();
  }

  #onRefresh(now: number): void {
    if (!this.#running) return;
    this.#refreshes.push(now);
    if (this.#refreshes.length > REFRESH_HISTORY) this.#refreshes.shift();
    this.#place();
    this.#animationFrame = requestAnimationFrame((next) => this.#onRefresh(next));
  }

  /** Gives every painted frame whose refresh has begun its expected display time. */
  #place(): void {
    const waiting: Painted[] = [];
    for (const painted of this.#waiting) {
      const refresh = this.#refreshes.find((at) => at >= painted.paintedAt);
      if (refresh === undefined) {
        waiting.push(painted);
        continue;
      }
      if (refresh !== this.#lastShownRefresh) {
        this.#lastShownRefresh = refresh;
        this.framesSeen++;
        this.onShown({ refreshAt: refresh, presentedAt: painted.paintedAt, rtpTimestamp: painted.rtpTimestamp });
      }
      if (painted.seq !== null) this.latency.frameShown(painted.seq, refresh);
    }
    this.#waiting = waiting;
  }
}
