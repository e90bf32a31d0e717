/**
 * The frame protocol between the edge node and a game process, so that any engine can integrate:
 *
 * - The node starts the game with env EDGEPLAY_WIDTH, EDGEPLAY_HEIGHT, EDGEPLAY_FPS and
 *   EDGEPLAY_LATENCY_STRIP ("1" to draw the input-sequence strip, see latency-strip.ts).
 * - Game -> node, on stdout: a stream of frames, each a 32-byte little-endian header then the pixels.
 *     offset 0  u32  magic 0x31465045 ("EPF1")
 *     offset 4  u16  width            offset 6  u16 height
 *     offset 8  u8   pixel format (1 = I420: Y plane, then U, then V, each row tightly packed)
 *     offset 9  u8[3] reserved (0)
 *     offset 12 u32  frame number (increments by one per rendered frame)
 *     offset 16 u32  last applied input sequence number (0 before any input)
 *     offset 20 f64  render time, milliseconds on the game's monotonic clock
 *     offset 28 u32  payload length in bytes
 *   and, between frames, audio chunks: a 16-byte little-endian header then the samples.
 *     offset 0  u32  magic 0x31415045 ("EPA1")
 *     offset 4  u16  samples per channel (480: 10 ms at 48 kHz)
 *     offset 6  u8   channels (2)        offset 7 u8 sample format (1 = s16le, 48 kHz, interleaved)
 *     offset 8  u32  chunk number (increments by one per chunk)
 *     offset 12 u32  payload length in bytes (samples x channels x 2)
 * - Node -> game, on stdin: one JSON object per line (GameCommand below). `pace` is advice a game
 *   may ignore: move the frame clock by shiftMs (positive: later), so that frames reach the
 *   player's display midway between its refreshes instead of racing them.
 * - stderr is the game's log. The game exits on a `quit` command or when stdin closes.
 */
import { inputEventChecker, type InputEvent } from './input.js';

export const FRAME_MAGIC = 0x31465045;
export const FRAME_HEADER_BYTES = 32;
export const PIXEL_FORMAT_I420 = 1;

export const AUDIO_MAGIC = 0x31415045;
export const AUDIO_HEADER_BYTES = 16;
export const AUDIO_FORMAT_S16_48K = 1;
export const AUDIO_SAMPLE_RATE = 48_000;
export const AUDIO_CHANNELS = 2;
/** 10 ms: a frame size Opus encodes as is, short enough to add little latency. */
export const AUDIO_CHUNK_SAMPLES = 480;
export const AUDIO_CHUNK_BYTES = AUDIO_CHUNK_SAMPLES * AUDIO_CHANNELS * 2;

export interface AudioChunkHeader {
  samples: number;
  channels: number;
  format: number;
  chunkNumber: number;
  payloadLength: number;
}

export interface FrameHeader {
  width: number;
  height: number;
  format: number;
  frameNumber: number;
  inputSeq: number;
  renderTimeMs: number;
  payloadLength: number;
}

export type GameCommand = { type: 'input'; event: InputEvent } | { type: 'pace'; shiftMs: number } | { type: 'quit' };

/** The largest clock shift one `pace` command asks for (half a frame period at 10 fps). */
export const MAX_PACE_SHIFT_MS = 50;

export function i420Size(width: number, height: number): number {
  return width * height + 2 * ((width >> 1) * (height >> 1));
}

export function writeFrameHeader(target: Buffer, header: FrameHeader): void {
  target.writeUInt32LE(FRAME_MAGIC, 0);
  target.writeUInt16LE(header.width, 4);
  target.writeUInt16LE(header.height, 6);
  target.writeUInt8(header.format, 8);
  target.fill(0, 9, 12);
  target.writeUInt32LE(header.frameNumber >>> 0, 12);
  target.writeUInt32LE(header.inputSeq >>> 0, 16);
  target.writeDoubleLE(header.renderTimeMs, 20);
  target.writeUInt32LE(header.payloadLength, 28);
}

export class FrameProtocolError extends Error {
  override name = 'FrameProtocolError';
}

export function readFrameHeader(source: Buffer, offset = 0): FrameHeader {
  if (source.readUInt32LE(offset) !== FRAME_MAGIC) throw new FrameProtocolError('bad frame magic');
  const header: FrameHeader = {
    width: source.readUInt16LE(offset + 4),
    height: source.readUInt16LE(offset + 6),
    format: source.readUInt8(offset + 8),
    frameNumber: source.readUInt32LE(offset + 12),
    inputSeq: source.readUInt32LE(offset + 16),
    renderTimeMs: source.readDoubleLE(offset + 20),
    payloadLength: source.readUInt32LE(offset + 28),
  };
  if (header.format !== PIXEL_FORMAT_I420) throw new FrameProtocolError(`unknown pixel format ${header.format}`);
  if (header.payloadLength !== i420Size(header.width, header.height)) {
    throw new FrameProtocolError(`payload length ${header.payloadLength} does not match ${header.width}x${header.height} I420`);
  }
  return header;
}

export function writeAudioHeader(target: Buffer, header: AudioChunkHeader): void {
  target.writeUInt32LE(AUDIO_MAGIC, 0);
  target.writeUInt16LE(header.samples, 4);
  target.writeUInt8(header.channels, 6);
  target.writeUInt8(header.format, 7);
  target.writeUInt32LE(header.chunkNumber >>> 0, 8);
  target.writeUInt32LE(header.payloadLength, 12);
}

/** The one chunk shape the node takes: 10 ms of 48 kHz stereo s16le. */
export function readAudioHeader(source: Buffer, offset = 0): AudioChunkHeader {
  if (source.readUInt32LE(offset) !== AUDIO_MAGIC) throw new FrameProtocolError('bad audio chunk magic');
  const header: AudioChunkHeader = {
    samples: source.readUInt16LE(offset + 4),
    channels: source.readUInt8(offset + 6),
    format: source.readUInt8(offset + 7),
    chunkNumber: source.readUInt32LE(offset + 8),
    payloadLength: source.readUInt32LE(offset + 12),
  };
  if (header.format !== AUDIO_FORMAT_S16_48K) throw new FrameProtocolError(`unknown audio format ${header.format}`);
  if (header.samples !== AUDIO_CHUNK_SAMPLES || header.channels !== AUDIO_CHANNELS || header.payloadLength !== AUDIO_CHUNK_BYTES) {
    throw new FrameProtocolError(
      `audio chunks must be ${AUDIO_CHUNK_SAMPLES} samples x ${AUDIO_CHANNELS} channels (${AUDIO_CHUNK_BYTES} bytes), not ${header.samples} x ${header.channels} (${header.payloadLength} bytes)`,
    );
  }
  return header;
}

/** One command as the node writes it to a game's stdin: a JSON object and a newline. */
export function encodeGameCommand(command: GameCommand): string {
  return `${JSON.stringify(command)}\n`;
}

/** One stdin line back into a command, or null when it is not one (the game ignores it). */
export function parseGameCommand(line: string): GameCommand | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const command = value as { type?: unknown; event?: unknown; shiftMs?: unknown };
  if (command.type === 'quit') return { type: 'quit' };
  if (command.type === 'pace' && typeof command.shiftMs === 'number' && Number.isFinite(command.shiftMs)) return { type: 'pace', shiftMs: command.shiftMs };
  if (command.type === 'input' && inputEventChecker.Check(command.event)) return { type: 'input', event: command.event };
  return null;
}
