/**
 * Turns game frames into RTP on a mediasoup DirectTransport: encode in-process, packetize,
 * send. A frame that arrives while the previous one is still encoding waits in a single slot
 * and is encoded the moment the encoder is free; a newer frame takes the slot and the older one
 * is dropped (a stale frame is worth less than a fresh one). Nothing queues behind the slot, yet
 * an input's frame is not lost to a moment of contention: dropping it outright would show that
 * input a whole frame period later. Keyframe requests from the router are answered on the very
 * next frame, at most one per KEYFRAME_INTERVAL_MS (keyframe-limiter.ts).
 *
 * The encoder follows the congestion controller (bitrate-controller.ts): its bitrate, and the
 * ladder rung (size, frame rate) the frames are shaped to (rung-shaper.ts); a new rung gets a
 * new encoder, whose first frame is a keyframe.
 */
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import type { FrameHeader } from '../../protocol/game-protocol.js';
import { STRIP_CELL, STRIP_WIDTH } from '../../protocol/latency-strip.js';
import { splitAnnexB } from './annexb.js';
import { StreamSeiWriter } from './stream-sei-writer.js';
import { H264Packetizer } from './h264-packetizer.js';
import { BitrateController, type BitrateDecision, type ReceiverReport } from './bitrate-controller.js';
import { KeyframeLimiter } from './keyframe-limiter.js';
import { requestsKeyframe } from './rtcp-feedback.js';
import { RungShaper } from './rung-shaper.js';
import { sameRung, videoLadder, type Rung } from './video-ladder.js';
import { H264_PAYLOAD_TYPE, INITIAL_AVAILABLE_BITRATE, PLAYOUT_DELAY_EXTENSION_ID, videoProducerParameters } from './router-config.js';
import { VideoEncoder, type VideoEncoderOptions } from './video-encoder.js';

export interface VideoSourceStats {
  framesIn: number;
  framesEncoded: number;
  framesDropped: number;
  keyframes: number;
  keyframeRequests: number;
  bytesSent: number;
  packetsSent: number;
  bitrateKbps: number;
  /** Frames the rung's lower frame rate left out. */
  framesSkipped: number;
  /** The ladder rung being sent now, and how many times it changed. */
  rung: { width: number; height: number; fps: number };
  rungChanges: number;
}

/**
 * Least time between keyframes sent for PLI/FIR: short enough that a picture broken by a loss
 * burst is repaired within a few frames, long enough that the burst cannot start a storm.
 */
const KEYFRAME_INTERVAL_MS = 300;

export interface VideoSourceOptions {
  router: types.Router;
  width: number;
  height: number;
  fps: number;
  /** Tag every packet with playout-delay 0/0 (the low-latency path). */
  playoutDelay: boolean;
  /** The game draws the latency strip: keep it readable on half-size rungs. */
  latencyStrip?: boolean;
  encoder: Partial<VideoEncoderOptions>;
  logger: Logger;
  /** Told each frame's encode time (the node's metrics). */
  onEncoded?: (encodeMs: number) => void;
}

export class VideoSource {
  readonly stats: VideoSourceStats = {
    framesIn: 0,
    framesEncoded: 0,
    framesDropped: 0,
    keyframes: 0,
    keyframeRequests: 0,
    bytesSent: 0,
    packetsSent: 0,
    bitrateKbps: 0,
    framesSkipped: 0,
    rung: { width: 0, height: 0, fps: 0 },
    rungChanges: 0,
  };
  private closed = false;
  /** The newest frame that arrived while the encoder was busy (a copy: the reader reuses its buffer). */
  private waiting: { pixels: Buffer; renderTimeMs: number } | undefined;
  private spare: Buffer | undefined;
  /** Stamps each frame's encode start and repeats the encoder's name with every IDR (the checker reads both). */
  private readonly sei = new StreamSeiWriter();
  private readonly keyframes = new KeyframeLimiter(KEYFRAME_INTERVAL_MS);
  private readonly controller: BitrateController;
  private readonly shaper: RungShaper;
  /** The rung the current encoder was opened for. */
  private encoderRung: Rung;

  private constructor(
    readonly transport: types.DirectTransport,
    readonly producer: types.Producer,
    private encoder: VideoEncoder,
    private readonly encoderOptions: Partial<VideoEncoderOptions>,
    private readonly packetizer: H264Packetizer,
    private readonly logger: Logger,
    latencyStrip: boolean,
    private readonly onEncoded: ((encodeMs: number) => void) | undefined,
  ) {
    transport.on('rtcp', (packet: Buffer) => {
      if (!requestsKeyframe(packet)) return;
      this.stats.keyframeRequests++;
      this.keyframes.request();
    });
    const ladder = videoLadder(encoder.width, encoder.height, encoder.fps);
    this.controller = new BitrateController({
      ladder,
      startKbps: encoder.bitrateKbps,
      minKbps: encoder.minBitrateKbps,
      maxKbps: encoder.maxBitrateKbps,
      initialEstimateKbps: INITIAL_AVAILABLE_BITRATE / 1000,
    });
    this.shaper = new RungShaper(encoder.width, encoder.height, encoder.fps, latencyStrip ? { width: STRIP_WIDTH, height: STRIP_CELL } : undefined);
    this.encoderRung = this.shaper.rung;
    this.stats.bitrateKbps = encoder.bitrateKbps;
    this.stats.rung = { width: encoder.width, height: encoder.height, fps: encoder.fps };
  }

  static async create(options: VideoSourceOptions): Promise<VideoSource> {
    const transport = await options.router.createDirectTransport();
    const ssrc = randomInt(1, 0xffffffff);
    const producer = await transport.produce({ kind: 'video', rtpParameters: videoProducerParameters(ssrc, options.playoutDelay) });
    const encoder = new VideoEncoder({ width: options.width, height: options.height, fps: options.fps, ...options.encoder });
    const packetizer = new H264Packetizer({
      ssrc,
      payloadType: H264_PAYLOAD_TYPE,
      playoutDelayExtensionId: options.playoutDelay ? PLAYOUT_DELAY_EXTENSION_ID : undefined,
    });
    return new VideoSource(transport, producer, encoder, options.encoder, packetizer, options.logger, options.latencyStrip ?? false, options.onEncoded);
  }

  /** Offers a frame; `pixels` is only valid during this call, so it is copied (into the encoder, or aside) synchronously. */
  pushFrame(header: FrameHeader, pixels: Buffer): void {
    if (this.closed) return;
    this.stats.framesIn++;
    const frame = this.shaper.shape(pixels, header.renderTimeMs);
    if (frame === undefined) {
      this.stats.framesSkipped++;
      return;
    }
    if (!this.encoder.busy) {
      this.encode(frame, header.renderTimeMs);
      return;
    }
    if (this.waiting !== undefined) this.stats.framesDropped++;
    const reusable = this.waiting?.pixels ?? this.spare;
    const copy = reusable?.length === frame.length ? reusable : Buffer.allocUnsafe(frame.length);
    this.spare = undefined;
    frame.copy(copy);
    this.waiting = { pixels: copy, renderTimeMs: header.renderTimeMs };
  }

  private encode(pixels: Buffer, renderTimeMs: number): void {
    if (!sameRung(this.encoderRung, this.shaper.rung)) this.reopenEncoder(this.shaper.rung);
    // A frame shaped for the rung before a change: the next one comes within a frame period.
    if (pixels.length !== this.encoder.frameBytes) return;
    const encodeStartedAt = performance.timeOrigin + performance.now();
    this.encoder
      .encode(pixels, renderTimeMs, { keyframe: this.keyframes.take(performance.now()) })
      .finally(() => this.encodeWaiting())
      .then((encoded) => {
        if (!encoded || this.closed) return;
        this.stats.framesEncoded++;
        this.onEncoded?.(encoded.encodeMs);
        if (encoded.keyframe) {
          this.stats.keyframes++;
          this.keyframes.sent(performance.now());
        }
        // A buffering encoder returns older frames, so the timestamp comes from what it returned.
        const units = this.sei.annotate(splitAnnexB(encoded.data), encoded.keyframe, encodeStartedAt);
        let bytes = 0;
        for (const packet of this.packetizer.packetize(units, Math.round(encoded.ptsMs * 90))) {
          this.producer.send(packet);
          this.stats.packetsSent++;
          bytes += packet.length;
        }
        this.stats.bytesSent += bytes;
        this.controller.onSent(bytes, performance.now());
      })
      .catch((error: unknown) => {
        if (!this.closed) this.logger.error({ err: error }, 'encoding a frame failed');
      });
  }

  private encodeWaiting(): void {
    const waiting = this.waiting;
    if (waiting === undefined || this.closed || this.encoder.busy) return;
    this.waiting = undefined;
    this.encode(waiting.pixels, waiting.renderTimeMs);
    // The encoder has copied the pixels: the buffer can hold the next waiting frame.
    this.spare = waiting.pixels;
  }

  /** Follows the bandwidth the player's transport estimates (bit/s). */
  setAvailableBitrate(bitsPerSecond: number): void {
    this.apply(this.controller.onEstimate(bitsPerSecond, performance.now()));
  }

  /** What the player's latest receiver report says: loss since the one before. */
  receiverReport(report: ReceiverReport): void {
    this.apply(this.controller.onReceiverReport(report, performance.now()));
  }

  private apply(decision: BitrateDecision): void {
    if (this.closed) return;
    if (!sameRung(decision.rung, this.shaper.rung)) {
      this.logger.info({ from: this.shaper.rung, to: decision.rung, kbps: decision.kbps }, 'video rung changed');
      this.shaper.rung = decision.rung;
      this.stats.rungChanges++;
    }
    this.stats.bitrateKbps = this.encoder.setBitrate(decision.kbps);
  }

  /** Called only while no encode is in flight, so the old encoder can close at once. */
  private reopenEncoder(rung: Rung): void {
    try {
      const next = new VideoEncoder({ ...this.encoderOptions, width: rung.width, height: rung.height, fps: rung.fps, bitrateKbps: this.controller.decision.kbps });
      this.encoder.close();
      this.encoder = next;
      this.encoderRung = rung;
      this.stats.rung = { width: rung.width, height: rung.height, fps: rung.fps };
    } catch (error) {
      this.logger.error({ err: error, rung }, 'could not open the encoder for a new rung; staying on the old one');
      this.shaper.rung = this.encoderRung;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.encoder.close();
    this.transport.close();
  }
}
