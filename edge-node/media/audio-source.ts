/**
 * Turns a game's audio chunks into Opus RTP on a mediasoup DirectTransport: each 10 ms chunk is
 * encoded and sent as it arrives, one packet per chunk. The RTP timestamp follows the game's chunk
 * numbers, so chunks the game dropped show as the gap in time they are.
 */
import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { AUDIO_CHUNK_SAMPLES, type AudioChunkHeader } from '../../protocol/game-protocol.js';
import { AudioEncoder } from './audio-encoder.js';
import { audioProducerParameters, OPUS_PAYLOAD_TYPE } from './router-config.js';
import { rtpHeader } from './rtp-header.js';

export interface AudioSourceStats {
  chunksIn: number;
  /** Chunks the encoder refused; only the first is logged. */
  chunksFailed: number;
  packetsSent: number;
  bytesSent: number;
}

export class AudioSource {
  readonly stats: AudioSourceStats = { chunksIn: 0, chunksFailed: 0, packetsSent: 0, bytesSent: 0 };
  private sequenceNumber = randomInt(0, 0x10000);
  private readonly timestampBase = randomInt(0, 0x100000000);
  private closed = false;

  private constructor(
    readonly transport: types.DirectTransport,
    readonly producer: types.Producer,
    private readonly ssrc: number,
    private readonly encoder: AudioEncoder,
    private readonly logger: Logger,
  ) {}

  static async create(options: { router: types.Router; logger: Logger }): Promise<AudioSource> {
    const transport = await options.router.createDirectTransport();
    const ssrc = randomInt(1, 0xffffffff);
    try {
      const producer = await transport.produce({ kind: 'audio', rtpParameters: audioProducerParameters(ssrc) });
      return new AudioSource(transport, producer, ssrc, new AudioEncoder(), options.logger);
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  /** Encodes and sends one chunk; `samples` is only read during this call. */
  pushChunk(header: AudioChunkHeader, samples: Buffer): void {
    if (this.closed) return;
    this.stats.chunksIn++;
    let payload: Buffer;
    try {
      payload = this.encoder.encode(samples);
    } catch (error) {
      if (++this.stats.chunksFailed === 1) this.logger.error({ err: error }, 'encoding audio failed');
      return;
    }
    const rtp = rtpHeader({
      payloadType: OPUS_PAYLOAD_TYPE,
      sequenceNumber: this.sequenceNumber,
      timestamp: this.timestampBase + header.chunkNumber * AUDIO_CHUNK_SAMPLES,
      ssrc: this.ssrc,
      marker: false,
      extension: false,
    });
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    const packet = Buffer.concat([rtp, payload]);
    this.producer.send(packet);
    this.stats.packetsSent++;
    this.stats.bytesSent += packet.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.encoder.close();
    this.transport.close();
  }
}
