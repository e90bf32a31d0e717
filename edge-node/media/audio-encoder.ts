/**
 * Opus encoder for a game's audio: 10 ms chunks of 48 kHz stereo in, one Opus packet out each.
 * libopus compiled to WebAssembly (opusscript): about 0.12 ms of CPU per chunk here, 1% of a
 * core, with no native build to keep working on every operator's machine.
 *
 * RESTRICTED_LOWDELAY uses CELT alone, whose algorithmic delay is the lowest Opus has (a few ms):
 * game sound should land with the frame that caused it.
 */
import OpusScript from 'opusscript';
import { AUDIO_CHANNELS, AUDIO_CHUNK_BYTES, AUDIO_CHUNK_SAMPLES, AUDIO_SAMPLE_RATE } from '../../protocol/game-protocol.js';

/** Transparent for game sound in stereo at a fraction of the video's bitrate. */
export const DEFAULT_AUDIO_BITRATE = 96_000;

export class AudioEncoder {
  readonly #opus: OpusScript;
  #closed = false;

  constructor(bitrate = DEFAULT_AUDIO_BITRATE) {
    this.#opus = new OpusScript(AUDIO_SAMPLE_RATE, AUDIO_CHANNELS, OpusScript.Application.RESTRICTED_LOWDELAY);
    this.#opus.setBitrate(bitrate);
  }

  /** One Opus packet for one chunk (AUDIO_CHUNK_BYTES of s16le interleaved samples); the chunk may be reused afterwards. */
  encode(samples: Buffer): Buffer {
    if (this.#closed) throw new Error('the audio encoder is closed');
    if (samples.length !== AUDIO_CHUNK_BYTES) throw new RangeError(`an audio chunk is ${AUDIO_CHUNK_BYTES} bytes, not ${samples.length}`);
    return this.#opus.encode(samples, AUDIO_CHUNK_SAMPLES);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#opus.delete();
  }
}
