/** AudioSource on a real mediasoup worker: game audio chunks in, Opus RTP out, one packet per chunk. */
import OpusScript from 'opusscript';
import pino from 'pino';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIO_CHANNELS,
  AUDIO_CHUNK_BYTES,
  AUDIO_CHUNK_SAMPLES,
  AUDIO_FORMAT_S16_48K,
  AUDIO_SAMPLE_RATE,
  type AudioChunkHeader,
} from '../../../protocol/game-protocol.js';
import { AudioSource } from '../../../edge-node/media/audio-source.js';
import { loadMediasoup } from '../../../edge-node/media/mediasoup-loader.js';
import { OPUS_PAYLOAD_TYPE, routerMediaCodecs } from '../../../edge-node/media/router-config.js';

const header = (chunkNumber: number): AudioChunkHeader => ({
  samples: AUDIO_CHUNK_SAMPLES,
  channels: AUDIO_CHANNELS,
  format: AUDIO_FORMAT_S16_48K,
  chunkNumber,
  payloadLength: AUDIO_CHUNK_BYTES,
});

/** A 440 Hz tone, continuous across chunks. */
function tone(chunkNumber: number): Buffer {
  const samples = Buffer.alloc(AUDIO_CHUNK_BYTES);
  for (let i = 0; i < AUDIO_CHUNK_SAMPLES; i++) {
    const t = (chunkNumber * AUDIO_CHUNK_SAMPLES + i) / AUDIO_SAMPLE_RATE;
    const value = Math.round(10_000 * Math.sin(2 * Math.PI * 440 * t));
    samples.writeInt16LE(value, i * 4);
    samples.writeInt16LE(value, i * 4 + 2);
  }
  return samples;
}

/** The payload past the RTP header, its CSRCs and the header extensions the router adds. */
function rtpPayload(packet: Buffer): Buffer {
  let offset = 12 + 4 * (packet[0]! & 0x0f);
  if (packet[0]! & 0x10) offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  return packet.subarray(offset);
}

const rms = (pcm: Buffer): number => {
  let sum = 0;
  for (let i = 0; i < pcm.length; i += 2) sum += pcm.readInt16LE(i) ** 2;
  return Math.sqrt(sum / (pcm.length / 2));
};

describe('audio source', () => {
  let worker: types.Worker;
  let router: types.Router;
  let source: AudioSource;

  beforeAll(async () => {
    const mediasoup = await loadMediasoup();
    worker = await mediasoup.createWorker({ logLevel: 'error' });
    router = await worker.createRouter({ mediaCodecs: routerMediaCodecs });
    source = await AudioSource.create({ router, logger: pino({ level: 'silent' }) });
  });
  afterAll(() => {
    source?.close();
    worker?.close();
  });

  it('sends each chunk as one Opus packet, timestamped by its chunk number, that decodes back to the sound', async () => {
    // A consumer on a direct transport receives what the router forwards, as a player's transport would.
    const receiver = await router.createDirectTransport();
    const consumer = await receiver.consume({ producerId: source.producer.id, rtpCapabilities: router.rtpCapabilities });
    const packets: Buffer[] = [];
    consumer.on('rtp', (packet: Buffer) => packets.push(packet));

    const numbers = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10];
    for (const n of numbers) source.pushChunk(header(n), tone(n));
    expect(source.stats).toMatchObject({ chunksIn: numbers.length, chunksFailed: 0, packetsSent: numbers.length });
    await expect.poll(() => packets.length, { timeout: 5_000 }).toBe(numbers.length);

    const payloadType = consumer.rtpParameters.codecs[0]?.payloadType;
    expect(consumer.rtpParameters.codecs[0]).toMatchObject({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 });
    expect(source.producer.rtpParameters.codecs[0]?.payloadType).toBe(OPUS_PAYLOAD_TYPE);
    const timestamps = packets.map((packet) => packet.readUInt32BE(4));
    const sequence = packets.map((packet) => packet.readUInt16BE(2));
    for (let i = 1; i < packets.length; i++) {
      expect(packets[i]![1]! & 0x7f).toBe(payloadType);
      expect((sequence[i]! - sequence[i - 1]!) & 0xffff).toBe(1);
      // Chunk 8 never came: its 10 ms show as a gap in the timestamps, not as lost packets.
      expect((timestamps[i]! - timestamps[i - 1]! + 2 ** 32) % 2 ** 32).toBe((numbers[i]! - numbers[i - 1]!) * AUDIO_CHUNK_SAMPLES);
    }

    const decoder = new OpusScript(AUDIO_SAMPLE_RATE, AUDIO_CHANNELS);
    const decoded = packets.map((packet) => decoder.decode(rtpPayload(packet)));
    decoder.delete();
    expect(decoded.every((pcm) => pcm.length === AUDIO_CHUNK_BYTES)).toBe(true);
    // Past the codec's start-up, the tone comes back at about its level (10,000 peak: RMS 7,071).
    expect(rms(decoded.at(-1)!)).toBeGreaterThan(5_000);
    expect(rms(decoded.at(-1)!)).toBeLessThan(9_000);
    receiver.close();
  });

  it('refuses nothing silently: a chunk the encoder cannot take is counted and dropped', () => {
    const before = source.stats.packetsSent;
    source.pushChunk(header(20), Buffer.alloc(AUDIO_CHUNK_BYTES - 2));
    expect(source.stats.chunksFailed).toBe(1);
    expect(source.stats.packetsSent).toBe(before);
  });
});
