/**
 * Sound to the node (protocol/game-protocol.ts): 10 ms chunks of 48 kHz stereo s16, written for
 * the time that has passed and numbered by the time they cover, so a chunk skipped (the node is
 * behind, or the game stalled) leaves a gap the player's browser can measure.
 */
import type { Writable } from 'node:stream';
import {
  AUDIO_CHANNELS,
  AUDIO_CHUNK_BYTES,
  AUDIO_CHUNK_SAMPLES,
  AUDIO_FORMAT_S16_48K,
  AUDIO_HEADER_BYTES,
  AUDIO_SAMPLE_RATE,
  writeAudioHeader,
} from '../../protocol/game-protocol.js';

export const AUDIO_CHUNK_MS = (AUDIO_CHUNK_SAMPLES / AUDIO_SAMPLE_RATE) * 1000;
/** After a stall longer than this the missed sound is skipped rather than burst out, as missed frames are. */
const MAX_AUDIO_CATCH_UP_MS = 60;
/** Chunks allowed to wait for the pipe; past that the reader is behind and more would only be late. */
const MAX_PENDING_CHUNKS = 8;

/** Fills one chunk: AUDIO_CHUNK_SAMPLES frames of interleaved stereo (L, R, L, R, ...). */
export type RenderSound = (samples: Int16Array) => void;

export interface AudioOutputStats {
  chunks: number;
  skipped: number;
}

export class AudioOutput {
  private until: number;
  private chunkNumber = 0;
  private pending = 0;
  private readonly counters: AudioOutputStats = { chunks: 0, skipped: 0 };

  /** `startMs`: when the sound starts, on the clock later calls use. */
  constructor(
    private readonly out: Writable,
    startMs: number,
  ) {
    this.until = startMs;
  }

  get stats(): Readonly<AudioOutputStats> {
    return { ...this.counters };
  }

  /** Writes the sound for the time up to `nowMs`, one `render` call a chunk. */
  writeUntil(nowMs: number, render: RenderSound): void {
    if (nowMs - this.until > MAX_AUDIO_CATCH_UP_MS) {
      const skipped = Math.floor((nowMs - this.until) / AUDIO_CHUNK_MS) - 1;
      this.until += skipped * AUDIO_CHUNK_MS;
      this.chunkNumber = (this.chunkNumber + skipped) >>> 0;
      this.counters.skipped += skipped;
    }
    while (this.until + AUDIO_CHUNK_MS <= nowMs) {
      this.until += AUDIO_CHUNK_MS;
      const number = this.chunkNumber;
      this.chunkNumber = (this.chunkNumber + 1) >>> 0;
      if (this.pending >= MAX_PENDING_CHUNKS) {
        this.counters.skipped++;
        continue;
      }
      // A buffer per chunk: several can be in flight at once.
      const chunk = Buffer.alloc(AUDIO_HEADER_BYTES + AUDIO_CHUNK_BYTES);
      writeAudioHeader(chunk, {
        samples: AUDIO_CHUNK_SAMPLES,
        channels: AUDIO_CHANNELS,
        format: AUDIO_FORMAT_S16_48K,
        chunkNumber: number,
        payloadLength: AUDIO_CHUNK_BYTES,
      });
      render(new Int16Array(chunk.buffer, chunk.byteOffset + AUDIO_HEADER_BYTES, AUDIO_CHUNK_SAMPLES * AUDIO_CHANNELS));
      this.pending++;
      this.counters.chunks++;
      this.out.write(chunk, () => this.pending--);
    }
  }
}
