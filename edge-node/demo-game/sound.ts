/**
 * Neon Arena's sound, synthesized 10 ms at a time: an engine hum whose pitch and loudness follow
 * the ship's speed, panned to where the ship is, and a short voice per event (a chime for an orb,
 * a thud for a hit, a whoosh for a dash). Free of time sources and Math.random, like the game.
 */
import { AUDIO_CHANNELS, AUDIO_CHUNK_SAMPLES, AUDIO_SAMPLE_RATE } from '../../protocol/game-protocol.js';
import type { GameState } from './game-state.js';
import { mulberry32 } from './rng.js';

type VoiceKind = 'chime' | 'thud' | 'whoosh';

interface Voice {
  kind: VoiceKind;
  /** Samples played so far. */
  at: number;
}

const VOICE_SECONDS: Record<VoiceKind, number> = { chime: 0.22, thud: 0.35, whoosh: 0.18 };
/** Hum pitch at rest and at full speed (Hz): a low engine that rises as the ship moves. */
const HUM_HZ = { rest: 55, full: 150 };
const FULL_SPEED = 460;
const TWO_PI = 2 * Math.PI;

export class SoundSynth {
  private readonly voices: Voice[] = [];
  private readonly heard = { orbs: 0, hits: 0, dashes: 0 };
  private humPhase = 0;
  private humGain = 0;
  private readonly noise = mulberry32(0x50554e44);
  private lowpassed = 0;

  /** Renders the next chunk for `state` into `out`: AUDIO_CHUNK_SAMPLES frames, interleaved stereo s16. */
  render(state: GameState, out: Int16Array): void {
    this.startVoices(state);
    const { ship, width } = state;
    const speed = Math.min(1, Math.hypot(ship.vx, ship.vy) / (FULL_SPEED * state.scale));
    const hz = HUM_HZ.rest + (HUM_HZ.full - HUM_HZ.rest) * speed;
    const targetGain = 0.05 + 0.1 * speed;
    // Equal-power pan from the ship's place across the arena.
    const pan = Math.min(1, Math.max(0, ship.x / width));
    const left = Math.cos((pan * Math.PI) / 2);
    const right = Math.sin((pan * Math.PI) / 2);
    for (let i = 0; i < AUDIO_CHUNK_SAMPLES; i++) {
      // Glide the gain so a change of speed never clicks.
      this.humGain += (targetGain - this.humGain) * 0.002;
      this.humPhase = (this.humPhase + (TWO_PI * hz) / AUDIO_SAMPLE_RATE) % TWO_PI;
      const p = this.humPhase;
      const hum = this.humGain * (Math.sin(p) + 0.5 * Math.sin(2 * p) + 0.25 * Math.sin(3 * p));
      const effects = this.voiceSample();
      out[i * AUDIO_CHANNELS] = toS16(hum * left * 1.4 + effects);
      out[i * AUDIO_CHANNELS + 1] = toS16(hum * right * 1.4 + effects);
    }
    for (let v = this.voices.length - 1; v >= 0; v--) {
      if (this.voices[v]!.at >= VOICE_SECONDS[this.voices[v]!.kind] * AUDIO_SAMPLE_RATE) this.voices.splice(v, 1);
    }
  }

  private startVoices(state: GameState): void {
    const { orbs, hits, dashes } = state.happened;
    if (orbs > this.heard.orbs) this.voices.push({ kind: 'chime', at: 0 });
    if (hits > this.heard.hits) this.voices.push({ kind: 'thud', at: 0 });
    if (dashes > this.heard.dashes) this.voices.push({ kind: 'whoosh', at: 0 });
    Object.assign(this.heard, state.happened);
  }

  private voiceSample(): number {
    let sum = 0;
    for (const voice of this.voices) {
      const t = voice.at++ / AUDIO_SAMPLE_RATE;
      if (voice.kind === 'chime') {
        // Two notes a fifth apart, the second from 70 ms on.
        const hz = t < 0.07 ? 880 : 1320;
        sum += 0.25 * Math.exp(-t * 14) * Math.sin(TWO_PI * hz * t);
      } else if (voice.kind === 'thud') {
        // A falling low tone under a burst of noise.
        const hz = 40 + 60 * Math.exp(-t * 12);
        sum += 0.5 * Math.exp(-t * 9) * (Math.sin(TWO_PI * hz * t) + 0.3 * (this.noise() * 2 - 1));
      } else {
        // Softened noise: a quick swell, then a fade.
        this.lowpassed += 0.3 * (this.noise() * 2 - 1 - this.lowpassed);
        sum += 1.2 * Math.min(1, t / 0.005) * Math.exp(-t * 16) * this.lowpassed;
      }
    }
    return sum;
  }
}

/** Soft-clips so loud moments saturate instead of wrapping around. */
function toS16(sample: number): number {
  return Math.round(Math.tanh(sample) * 32_000);
}
