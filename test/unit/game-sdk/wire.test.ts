/**
 * The SDK's wire encoding against the node's own decoding: what FrameOutput and AudioOutput write
 * is what the node's FrameReader reads back, split anywhere; what the node's GameProcess encodes
 * as commands is what the SDK's CommandReader decodes.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../../edge-node/game/frame-reader.js';
import { AudioOutput, AUDIO_CHUNK_MS, CommandReader, FrameOutput, rgbToYuv, type GameCommand } from '../../../edge-node/game-sdk/index.js';
import { AUDIO_CHUNK_SAMPLES, AUDIO_CHANNELS, encodeGameCommand, type AudioChunkHeader, type FrameHeader } from '../../../protocol/game-protocol.js';
import { decodeStrip, planeLuma } from '../../../protocol/latency-strip.js';

const WIDTH = 640;
const HEIGHT = 360;

/** A pipe into the node's reader that hands it the bytes in small, odd-sized pieces. */
function pipeToReader(): { out: PassThrough; frames: { header: FrameHeader; pixels: Buffer }[]; audio: { header: AudioChunkHeader; samples: Int16Array }[]; reader: FrameReader } {
  const out = new PassThrough();
  const reader = new FrameReader(WIDTH, HEIGHT);
  const frames: { header: FrameHeader; pixels: Buffer }[] = [];
  const audio: { header: AudioChunkHeader; samples: Int16Array }[] = [];
  reader.on('frame', (header, pixels) => frames.push({ header, pixels: Buffer.from(pixels) }));
  reader.on('audio', (header, samples) => audio.push({ header, samples: new Int16Array(new Uint8Array(samples).buffer) }));
  reader.on('error', (error) => {
    throw error;
  });
  out.on('data', (chunk: Buffer) => {
    for (let offset = 0; offset < chunk.length; offset += 997) reader.push(chunk.subarray(offset, offset + 997));
  });
  return { out, frames, audio, reader };
}

describe('game SDK wire encoding, read back by the node', () => {
  it('sends frames the node reads back whole, numbered, with the applied input in header and strip', async () => {
    const { out, frames } = pipeToReader();
    let drained = 0;
    const output = new FrameOutput(out, WIDTH, HEIGHT, () => drained++);
    const sent: Buffer[] = [];
    for (let n = 0; n < 3; n++) {
      expect(output.ready).toBe(true);
      output.canvas.clear(rgbToYuv(40 * n, 100, 200));
      output.canvas.fillRect(100 + n * 50, 100, 60, 60, rgbToYuv(255, 255, 0));
      output.canvas.drawLatencyStrip(1000 + n);
      sent.push(Buffer.from(output.canvas.data));
      expect(output.send(1000 + n, 16.5 * n)).toBe(true);
      // The canvas is the frame being written: nothing more goes out until the pipe took it.
      expect(output.ready).toBe(false);
      expect(output.send(0, 0)).toBe(false);
      await expect.poll(() => drained).toBe(n + 1);
    }
    expect(frames.map((f) => f.header)).toEqual(
      [0, 1, 2].map((n) => ({ width: WIDTH, height: HEIGHT, format: 1, frameNumber: n, inputSeq: 1000 + n, renderTimeMs: 16.5 * n, payloadLength: WIDTH * HEIGHT * 1.5 })),
    );
    frames.forEach((frame, n) => {
      expect(frame.pixels.equals(sent[n]!)).toBe(true);
      expect(decodeStrip(planeLuma(frame.pixels, WIDTH))).toBe(1000 + n);
    });
    expect(output.framesSent).toBe(3);
  });

  it('sends the sound for the time passed as numbered 10 ms chunks between frames, skipping a stall instead of bursting it out', async () => {
    const { out, frames, audio } = pipeToReader();
    const sound = new AudioOutput(out, 1000);
    const frame = new FrameOutput(out, WIDTH, HEIGHT);
    let rendered = 0;
    const render = (samples: Int16Array): void => {
      expect(samples.length).toBe(AUDIO_CHUNK_SAMPLES * AUDIO_CHANNELS);
      samples.fill(++rendered);
    };
    sound.writeUntil(1000 + 3.5 * AUDIO_CHUNK_MS, render);
    frame.send(0, 1035);
    sound.writeUntil(1000 + 4 * AUDIO_CHUNK_MS, render);
    // A stall of a second: a few chunks are written, the rest skipped but counted in the numbering.
    sound.writeUntil(2000 + 4 * AUDIO_CHUNK_MS, render);
    await expect.poll(() => audio.length).toBe(rendered);
    expect(frames).toHaveLength(1);
    const numbers = audio.map((chunk) => chunk.header.chunkNumber);
    expect(numbers.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(numbers.at(-1)).toBe(103);
    expect(audio.length).toBeLessThan(20);
    expect(sound.stats).toEqual({ chunks: audio.length, skipped: 104 - audio.length });
    audio.forEach((chunk, i) => expect(chunk.samples.every((s) => s === i + 1)).toBe(true));
  });

  it('decodes the commands the node encodes, however the pipe splits them, and skips lines that are not commands', () => {
    const input = new PassThrough();
    const batches: GameCommand[][] = [];
    const malformed: string[] = [];
    let ended = false;
    new CommandReader(input, { commands: (batch) => batches.push(batch), malformed: (line) => malformed.push(line), end: () => (ended = true) });
    const commands: GameCommand[] = [
      { type: 'input', event: { t: 'key', seq: 1, code: 'KeyW', down: true } },
      { type: 'input', event: { t: 'mmove', seq: 2, dx: 4, dy: -1 } },
      { type: 'pace', shiftMs: -3.2 },
      { type: 'input', event: { t: 'pad', seq: 3, index: 0, axes: [0.5, -0.25], buttons: [1, 0] } },
      { type: 'quit' },
    ];
    const wire = commands.map(encodeGameCommand).join('') + '{"type":"input","event":{"t":"key"}}\nnot json\n';
    const bytes = Buffer.from(wire);
    for (let offset = 0; offset < bytes.length; offset += 7) input.write(bytes.subarray(offset, offset + 7));
    input.end();
    return new Promise<void>((resolve) => {
      input.on('end', () => {
        expect(batches.flat()).toEqual(commands);
        expect(malformed).toEqual(['{"type":"input","event":{"t":"key"}}', 'not json']);
        expect(ended).toBe(true);
        resolve();
      });
    });
  });
});
