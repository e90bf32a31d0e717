/**
 * H.264 encoder for the edge node's game stream, over libx264 through a small N-API addon
 * (edge-node/media/x264, built by infra/build-encoder.sh).
 *
 * Constrained baseline because Chromium here only decodes the profiles it offers
 * (42e01f, packetization-mode 1); @napi-rs/webcodecs always produced High profile.
 * Latency rules (see DESIGN.md "Low latency"): one frame in, one frame out, no queue.
 * The caller checks `busy` and never stacks frames up behind an encode (VideoSource keeps at
 * most the newest one aside), and keyframes are only produced on demand (PLI/FIR).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export type X264Preset =
  | 'ultrafast'
  | 'superfast'
  | 'veryfast'
  | 'faster'
  | 'fast'
  | 'medium'
  | 'slow'
  | 'slower'
  | 'veryslow'
  | 'placebo';

/** '' means no tune: x264 defaults with lookahead, kept as the benchmark baseline. */
export type X264Tune = 'zerolatency' | 'film' | 'animation' | 'grain' | 'stillimage' | 'psnr' | 'ssim' | '';

export interface VideoEncoderOptions {
  width: number;
  height: number;
  /** Default 60. */
  fps?: number;
  /** Starting target, clamped to [minBitrateKbps, maxBitrateKbps]. Default 4000. */
  bitrateKbps?: number;
  /** Floor for setBitrate (congestion control may ask for less). Default 300. */
  minBitrateKbps?: number;
  /** Ceiling for setBitrate. Default 8000. */
  maxBitrateKbps?: number;
  /** Default 'ultrafast'. */
  preset?: X264Preset;
  /** Default 'zerolatency'. */
  tune?: X264Tune;
  /** Largest distance between IDRs. Large on purpose: receivers ask with PLI. Default 600. */
  keyintMax?: number;
  /**
   * x264 threads. Above 1 uses slice threads (frame threads would add a frame of delay per
   * thread); 0 lets x264 decide. Default 2: two slices encode in parallel whenever a core is
   * free, which trims the latency tail even where the game shares two cores (bench:latency, five
   * interleaved runs each: p95 28.1 ms with one thread, 26.7 ms with two).
   */
  threads?: number;
}

export interface EncodedFrame {
  /** Annex-B (start codes); SPS and PPS precede every IDR. Split with splitAnnexB(). */
  data: Buffer;
  /** True for IDR frames. */
  keyframe: boolean;
  /** The ptsMs given to the encode() call that produced this frame. */
  ptsMs: number;
  /** Time from submitting the frame to having the bitstream, thread-pool wait included. */
  encodeMs: number;
}

export type EncoderErrorCode =
  | 'ADDON_MISSING'
  | 'OPTIONS'
  | 'OPEN'
  | 'BUSY'
  | 'CLOSED'
  | 'FRAME'
  | 'ENCODE'
  | 'RECONFIG';

export class EncoderError extends Error {
  override readonly name = 'EncoderError';
  constructor(
    readonly code: EncoderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface NativeResult {
  data: Buffer;
  keyframe: boolean;
  pts: number;
}

interface NativeEncoder {
  encode(i420: Buffer, pts: number, forceKeyframe: boolean): Promise<NativeResult | null>;
  setBitrate(kbps: number): void;
  close(): void;
  readonly busy: boolean;
  readonly closed: boolean;
}

interface NativeOptions {
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  preset: string;
  tune: string;
  keyintMax: number;
  threads: number;
}

interface NativeModule {
  X264Encoder: new (options: NativeOptions) => NativeEncoder;
  x264Build: number;
}

const ADDON_PATH = fileURLToPath(new URL('./x264/build/Release/x264_encoder.node', import.meta.url));

let addon: NativeModule | undefined;

// Loaded on first use so that importing this module (for types, or annexb users) works on a
// machine where the addon has not been built yet.
function loadAddon(): NativeModule {
  if (addon) return addon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as NativeModule;
    return addon;
  } catch (cause) {
    throw new EncoderError(
      'ADDON_MISSING',
      `cannot load ${ADDON_PATH}: run "bash infra/build-encoder.sh" (needs libx264-dev)`,
      { cause },
    );
  }
}

/** libx264's X264_BUILD the addon was compiled against. */
export function x264Build(): number {
  return loadAddon().x264Build;
}

function toEncoderError(err: unknown): EncoderError {
  if (err instanceof EncoderError) return err;
  const native = err as { code?: unknown; message?: unknown };
  const message = typeof native?.message === 'string' ? native.message : String(err);
  const code = typeof native?.code === 'string' && native.code.startsWith('ERR_X264_') ? native.code.slice(9) : 'ENCODE';
  const known: readonly string[] = ['OPTIONS', 'OPEN', 'BUSY', 'CLOSED', 'FRAME', 'ENCODE', 'RECONFIG'];
  return new EncoderError((known.includes(code) ? code : 'ENCODE') as EncoderErrorCode, message, { cause: err });
}

export class VideoEncoder {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly minBitrateKbps: number;
  readonly maxBitrateKbps: number;
  /** Size in bytes of the I420 frames encode() accepts. */
  readonly frameBytes: number;

  private readonly native: NativeEncoder;
  private bitrate: number;
  private inFlight = false;
  private closed = false;
  private keyframeRequested = false;

  constructor(options: VideoEncoderOptions) {
    const fps = options.fps ?? 60;
    const min = options.minBitrateKbps ?? 300;
    const max = options.maxBitrateKbps ?? 8000;
    if (!(min > 0) || !(max >= min)) {
      throw new EncoderError('OPTIONS', `bitrate bounds must satisfy 0 < min <= max (got ${min}, ${max})`);
    }
    this.width = options.width;
    this.height = options.height;
    this.fps = fps;
    this.minBitrateKbps = min;
    this.maxBitrateKbps = max;
    this.frameBytes = (options.width * options.height * 3) / 2;
    this.bitrate = this.clamp(options.bitrateKbps ?? 4000);

    const { X264Encoder } = loadAddon();
    try {
      this.native = new X264Encoder({
        width: options.width,
        height: options.height,
        fps,
        bitrateKbps: this.bitrate,
        preset: options.preset ?? 'ultrafast',
        tune: options.tune ?? 'zerolatency',
        keyintMax: options.keyintMax ?? 600,
        threads: options.threads ?? 2,
      });
    } catch (err) {
      throw toEncoderError(err);
    }
  }

  /** True while a frame is being encoded: frames arriving now must not queue up behind it. */
  get busy(): boolean {
    return this.inFlight;
  }

  get bitrateKbps(): number {
    return this.bitrate;
  }

  /**
   * Encodes one I420 frame (Y, then U, then V planes, no padding). The buffer is copied
   * before this returns, so the caller may reuse it at once.
   *
   * Resolves null when x264 kept the frame back (only without tune 'zerolatency').
   * Rejects with EncoderError: BUSY if an encode is in flight, CLOSED after close(),
   * FRAME for a wrong-size buffer.
   */
  async encode(frame: Buffer, ptsMs: number, opts: { keyframe?: boolean } = {}): Promise<EncodedFrame | null> {
    if (this.closed) throw new EncoderError('CLOSED', 'encoder is closed');
    if (this.inFlight) {
      throw new EncoderError('BUSY', 'an encode is already in flight: drop this frame (frames must never queue)');
    }
    if (!Buffer.isBuffer(frame) || frame.length !== this.frameBytes) {
      const got = Buffer.isBuffer(frame) ? `${frame.length} bytes` : typeof frame;
      throw new EncoderError(
        'FRAME',
        `I420 frame must be ${this.frameBytes} bytes for ${this.width}x${this.height}, got ${got}`,
      );
    }
    const forceKeyframe = opts.keyframe === true || this.keyframeRequested;
    this.keyframeRequested = false;
    this.inFlight = true;
    const started = performance.now();
    try {
      const out = await this.native.encode(frame, ptsMs, forceKeyframe);
      if (out === null) return null;
      return { data: out.data, keyframe: out.keyframe, ptsMs: out.pts, encodeMs: performance.now() - started };
    } catch (err) {
      // The keyframe a receiver asked for must still come, on the next frame.
      if (forceKeyframe) this.keyframeRequested = true;
      throw toEncoderError(err);
    } finally {
      this.inFlight = false;
    }
  }

  /**
   * Makes the next encode() an IDR (with SPS/PPS). This is how PLI/FIR is answered within
   * one frame; requests that arrive before that frame coalesce into a single IDR.
   */
  requestKeyframe(): void {
    this.keyframeRequested = true;
  }

  /** True when the next encode() will produce an IDR because of requestKeyframe(). */
  get keyframePending(): boolean {
    return this.keyframeRequested;
  }

  /**
   * Changes the target (and the VBV cap with it) from the next frame on, without a
   * keyframe. Clamped to [minBitrateKbps, maxBitrateKbps]; returns the value applied.
   * After close() it does nothing: bandwidth estimates can still arrive from transport
   * events during teardown, and throwing there would crash an event listener.
   */
  setBitrate(kbps: number): number {
    if (this.closed) return this.bitrate;
    if (!Number.isFinite(kbps)) throw new EncoderError('OPTIONS', `bitrate must be a finite number, got ${kbps}`);
    const next = this.clamp(kbps);
    if (next === this.bitrate) return next;
    try {
      this.native.setBitrate(next);
    } catch (err) {
      throw toEncoderError(err);
    }
    this.bitrate = next;
    return next;
  }

  /** Frees the x264 encoder; idempotent. An encode already in flight still settles. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }

  private clamp(kbps: number): number {
    return Math.round(Math.min(this.maxBitrateKbps, Math.max(this.minBitrateKbps, kbps)));
  }
}
