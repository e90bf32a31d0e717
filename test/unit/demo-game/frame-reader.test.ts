import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../../edge-node/game/frame-reader.js';
import {
  AUDIO_CHANNELS,
  AUDIO_CHUNK_BYTES,
  AUDIO_CHUNK_SAMPLES,
  AUDIO_FORMAT_S16_48K,
  AUDIO_HEADER_BYTES,
  writeAudioHeader,
  type AudioChunkHeader,
  FRAME_HEADER_BYTES,
  FrameProtocolError,
  PIXEL_FORMAT_I420,
  i420Size,
  writeFrameHeader,
  type FrameHeader,
} from '../../../protocol/game-protocol.js';

const WIDTH = 64;
const HEIGHT = 36;
const PAYLOAD = i420Size(WIDTH, HEIGHT);

function encodeFrame(frameNumber: number, overrides: Partial<FrameHeader> = {}): Buffer {
  const frame = Buffer.alloc(FRAME_HEADER_BYTES + PAYLOAD);
  writeFrameHeader(frame, {
    width: WIDTH,
    height: HEIGHT,
    format: PIXEL_FORMAT_I420,
    frameNumber,
    inputSeq: frameNumber * 3,
    renderTimeMs: frameNumber * 16.5,
    payloadLength: PAYLOAD,
    ...overrides,
  });
  for (let i = FRAME_HEADER_BYTES; i < frame.length; i++) frame[i] = (i * 7 + frameNumber * 13) & 0xff;
  return frame;
}

function encodeAudio(chunkNumber: number, overrides: Partial<AudioChunkHeader> = {}): Buffer {
  const chunk = Buffer.alloc(AUDIO_HEADER_BYTES + AUDIO_CHUNK_BYTES);
  writeAudioHeader(chunk, {
    samples: AUDIO_CHUNK_SAMPLES,
    channels: AUDIO_CHANNELS,
    format: AUDIO_FORMAT_S16_48K,
    chunkNumber,
    payloadLength: AUDIO_CHUNK_BYTES,
    ...overrides,
  });
  for (let i = AUDIO_HEADER_BYTES; i < chunk.length; i++) chunk[i] = (i * 5 + chunkNumber * 11) & 0xff;
  return chunk;
}

/** Deterministic chunking, so a failure reproduces. */
function* chunks(stream: Buffer, seed: number, maxChunk: number): Generator<Buffer> {
  let state = seed;
  let offset = 0;
  while (offset < stream.length) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const size = 1 + (state % maxChunk);
    yield stream.subarray(offset, offset + size);
    offset += size;
  }
}

interface Collected {
  frames: { header: FrameHeader; pixels: Buffer }[];
  audio: { header: AudioChunkHeader; samples: Buffer }[];
  errors: FrameProtocolError[];
  buffers: Set<Buffer>;
}

function collect(reader: FrameReader): Collected {
  const collected: Collected = { frames: [], audio: [], errors: [], buffers: new Set() };
  reader.on('audio', (header, samples) => collected.audio.push({ header, samples: Buffer.from(samples) }));
  reader.on('frame', (header, pixels) => {
    collected.buffers.add(pixels);
    collected.frames.push({ header, pixels: Buffer.from(pixels) });
  });
  reader.on('error', (error) => collected.errors.push(error));
  return collected;
}

describe('FrameReader', () => {
  const originals = [0, 1, 2, 3, 4].map((n) => encodeFrame(n));
  const stream = Buffer.concat(originals);

  for (const [seed, maxChunk] of [
    [1, 1],
    [2, 7],
    [3, 33],
    [4, 5000],
    [5, 20000],
  ] as const) {
    it(`reassembles frames from chunks of up to ${maxChunk} bytes`, () => {
      const reader = new FrameReader(WIDTH, HEIGHT);
      const collected = collect(reader);
      for (const chunk of chunks(stream, seed, maxChunk)) reader.push(chunk);
      expect(collected.errors).toEqual([]);
      expect(collected.frames.map((f) => f.header.frameNumber)).toEqual([0, 1, 2, 3, 4]);
      collected.frames.forEach(({ header, pixels }, n) => {
        expect(header).toMatchObject({ width: WIDTH, height: HEIGHT, inputSeq: n * 3, renderTimeMs: n * 16.5, payloadLength: PAYLOAD });
        expect(pixels.equals(originals[n]!.subarray(FRAME_HEADER_BYTES))).toBe(true);
      });
      expect(collected.buffers.size).toBe(1);
    });
  }

  it('reads audio chunks between frames, split anywhere', () => {
    const interleaved = [encodeAudio(0), encodeFrame(0), encodeAudio(1), encodeAudio(2), encodeFrame(1), encodeAudio(3)];
    for (const [seed, maxChunk] of [
      [6, 1],
      [7, 19],
      [8, 3000],
    ] as const) {
      const reader = new FrameReader(WIDTH, HEIGHT);
      const collected = collect(reader);
      for (const chunk of chunks(Buffer.concat(interleaved), seed, maxChunk)) reader.push(chunk);
      expect(collected.errors).toEqual([]);
      expect(collected.frames.map((f) => f.header.frameNumber)).toEqual([0, 1]);
      expect(collected.audio.map((a) => a.header.chunkNumber)).toEqual([0, 1, 2, 3]);
      collected.audio.forEach(({ samples }, n) => expect(samples.equals(encodeAudio(n).subarray(AUDIO_HEADER_BYTES))).toBe(true));
    }
  });

  it.each([
    ['another chunk length', { samples: 960, payloadLength: 960 * 4 }],
    ['mono', { channels: 1, payloadLength: AUDIO_CHUNK_SAMPLES * 2 }],
    ['an unknown sample format', { format: 2 }],
    ['a payload length that does not match', { payloadLength: 1 << 30 }],
  ])('rejects an audio chunk with %s', (_name, overrides: Partial<AudioChunkHeader>) => {
    const reader = new FrameReader(WIDTH, HEIGHT);
    const collected = collect(reader);
    reader.push(encodeAudio(0, overrides).subarray(0, AUDIO_HEADER_BYTES));
    expect(collected.errors).toHaveLength(1);
    expect(collected.errors[0]).toBeInstanceOf(FrameProtocolError);
    expect(reader.broken).toBe(true);
  });

  it('reports text on stdout as soon as the magic is wrong', () => {
    const reader = new FrameReader(WIDTH, HEIGHT);
    const collected = collect(reader);
    reader.push(Buffer.from('hello'));
    expect(collected.errors).toHaveLength(1);
    expect(collected.errors[0]).toBeInstanceOf(FrameProtocolError);
    reader.push(encodeFrame(0));
    expect(collected.frames).toHaveLength(0);
    expect(reader.broken).toBe(true);
  });

  it('reports garbage after valid frames', () => {
    const reader = new FrameReader(WIDTH, HEIGHT);
    const collected = collect(reader);
    reader.push(Buffer.concat([encodeFrame(0), Buffer.alloc(FRAME_HEADER_BYTES, 0xee), encodeFrame(1)]));
    expect(collected.frames).toHaveLength(1);
    expect(collected.errors).toHaveLength(1);
  });

  it.each([
    ['an unknown pixel format', { format: 9 }],
    ['a payload length that is not I420', { payloadLength: PAYLOAD + 1 }],
    ['another resolution', { width: 32, height: 18, payloadLength: i420Size(32, 18) }],
  ])('rejects a header with %s', (_name, overrides: Partial<FrameHeader>) => {
    const reader = new FrameReader(WIDTH, HEIGHT);
    const collected = collect(reader);
    reader.push(encodeFrame(0, overrides).subarray(0, FRAME_HEADER_BYTES));
    expect(collected.errors).toHaveLength(1);
    expect(collected.errors[0]).toBeInstanceOf(FrameProtocolError);
  });
});
