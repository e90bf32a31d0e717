import { describe, expect, it } from 'vitest';
import { AUDIO_CHANNELS, AUDIO_CHUNK_SAMPLES } from '../../../protocol/game-protocol.js';
import { GameState } from '../../../edge-node/demo-game/game-state.js';
import { SoundSynth } from '../../../edge-node/demo-game/sound.js';

/** The energy per chunk of the next `chunks` chunks, in one channel or both (the hum's period is longer than a chunk, so one chunk says little). */
function loudness(synth: SoundSynth, state: GameState, chunks: number, channel?: number): number {
  const out = new Int16Array(AUDIO_CHUNK_SAMPLES * AUDIO_CHANNELS);
  let sum = 0;
  for (let n = 0; n < chunks; n++) {
    synth.render(state, out);
    for (let i = 0; i < out.length; i++) if (channel === undefined || i % AUDIO_CHANNELS === channel) sum += out[i]! ** 2;
  }
  return sum / chunks;
}

/** Lets the hum glide to its level for the state as it is. */
function settled(state: GameState): SoundSynth {
  const synth = new SoundSynth();
  loudness(synth, state, 300);
  return synth;
}

const arena = () => new GameState({ width: 1280, height: 720, seed: 1 });

describe('SoundSynth', () => {
  it('hums louder as the ship moves faster', () => {
    const state = arena();
    const atRest = loudness(settled(state), state, 20);
    state.ship.vx = 460;
    expect(loudness(settled(state), state, 20)).toBeGreaterThan(atRest * 2);
  });

  it('pans the hum to where the ship is', () => {
    const state = arena();
    state.ship.x = 100;
    const synth = settled(state);
    expect(loudness(synth, state, 20, 0)).toBeGreaterThan(loudness(synth, state, 20, 1) * 4);
  });

  it.each(['orbs', 'hits', 'dashes'] as const)('sounds each time %s happen, then fades back to the hum', (event) => {
    const state = arena();
    const synth = settled(state);
    const hum = loudness(synth, state, 20);
    state.happened[event]++;
    expect(loudness(synth, state, 3)).toBeGreaterThan(hum * 2);
    loudness(synth, state, 40);
    expect(loudness(synth, state, 20)).toBeLessThan(hum * 1.2);
  });
});
