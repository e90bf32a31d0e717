/**
 * Turns game frames into RTP on a mediasoup DirectTransport: encode in-process, packetize,
 * send. A frame that arrives while the previous one is still encoding waits in a single slot
 * and is encoded the moment the encoder is free; a newer frame takes the slot and the older one
 * is dropped (a stale frame is worth less than a fresh one). Nothing queues behind the slot, yet
 * an input's frame is not lost to a moment of contention: dropping it outright would show that
 * input a whole frame period later. Keyframe requests from the router are answered on the very
 * next frame.
 */
import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import type { FrameHeader } from '../../protocol/game-protocol.js';
import { splitAnnexB } from './annexb.js';
import { H264Packetizer } from './h264-packetizer.js';
import { requestsKeyframe } from './rtcp-feedback.js';
import { H264_PAYLOAD_TYPE, PLAYOUT_DELAY_EXTENSION_ID, videoProducerParameters } from './router-config.js';
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
}

export interface VideoSourceOptions {
  router: types.Router;
  width: number;
  height: number;
  fps: number;
  /** Tag every packet with playout-delay 0/0 (the low-latency path). */
  playoutDelay: boolean;
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
  };
  private closed = false;
  /** The newest frame that arrived while the encoder was busy (a copy: the reader reuses its buffer). */
  private waiting: { pixels: Buffer; renderTimeMs: number } | undefined;
  private spare: Buffer | undefined;

  private constructor(
    readonly transport: types.DirectTransport,
    readonly producer: types.Producer,
    private readonly encoder: VideoEncoder,
    private readonly packetizer: H264Packetizer,
    private readonly logger: Logger,
    private readonly onEncoded: ((encodeMs: number) => void) | undefined,
  ) {
    transport.on('rtcp', (packet: Buffer) => {
      if (!requestsKeyframe(packet)) return;
      this.stats.keyframeRequests++;
      this.encoder.requestKeyframe();
    });
    this.stats.bitrateKbps = encoder.bitrateKbps;
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
    return new VideoSource(transport, producer, encoder, packetizer, options.logger, options.onEncoded);
  }

  /** Offers a frame; `pixels` is only valid during this call, so it is copied (into the encoder, or aside) synchronously. */
  pushFrame(header: FrameHeader, pixels: Buffer): void {
    if (this.closed) return;
    this.stats.framesIn++;
    if (!this.encoder.busy) {
      this.encode(pixels, header.renderTimeMs);
      return;
    }
    if (this.waiting !== undefined) this.stats.framesDropped++;
    const copy = this.waiting?.pixels ?? (this.spare?.length === pixels.length ? this.spare : Buffer.allocUnsafe(pixels.length));
    this.spare = undefined;
    pixels.copy(copy);
    this.waiting = { pixels: copy, renderTimeMs: header.renderTimeMs };
  }

  private encode(pixels: Buffer, renderTimeMs: number): void {
    this.encoder
      .encode(pixels, renderTimeMs)
      .finally(() => this.encodeWaiting())
      .then((encoded) => {
        if (!encoded || this.closed) return;
        this.stats.framesEncoded++;
        this.onEncoded?.(encoded.encodeMs);
        if (encoded.keyframe) this.stats.keyframes++;
        // A buffering encoder returns older frames, so the timestamp comes from what it returned.
        for (const packet of this.packetizer.packetize(splitAnnexB(encoded.data), Math.round(encoded.ptsMs * 90))) {
          this.producer.send(packet);
          this.stats.packetsSent++;
          this.stats.bytesSent += packet.length;
        }
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

  /** Follows the bandwidth the player's transport estimates, leaving headroom for retransmissions. */
  setAvailableBitrate(bitsPerSecond: number): void {
    this.encoder.setBitrate(Math.floor((bitsPerSecond * 0.85) / 1000));
    this.stats.bitrateKbps = this.encoder.bitrateKbps;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.encoder.close();
    this.transport.close();
  }
}
