/**
 * Neon Arena on the game SDK (edge-node/game-sdk/): the SDK speaks the frame protocol, runs the
 * frame loop and stamps the latency strip; the game steps its state, applies inputs, draws and
 * synthesizes its sound.
 *
 * By default an input pulls the next frame forward (render on input) instead of waiting for the
 * next tick of the frame clock. EDGEPLAY_DEMO_FIXED_TICK=1 turns that off, so the demo renders
 * only on its clock as most games do (bench:latency's fixed_tick and baseline rows).
 */
import { intFromEnv, runGame } from '../game-sdk/index.js';
import { GameState } from './game-state.js';
import { renderGame } from './renderer-i420.js';
import { SoundSynth } from './sound.js';

runGame({
  name: 'neon-arena',
  renderOnInput: process.env.EDGEPLAY_DEMO_FIXED_TICK !== '1',
  create({ width, height }, log) {
    const seed = intFromEnv('EDGEPLAY_SEED', Math.floor(Math.random() * 2 ** 32), 0, 2 ** 32 - 1);
    log(`Neon Arena seed=${seed}`);
    const state = new GameState({ width, height, seed });
    const synth = new SoundSynth();
    return {
      step: (dtMs) => state.step(dtMs),
      input: (event) => state.applyInput(event),
      render: (canvas) => renderGame(canvas, state),
      sound: (samples) => synth.render(state, samples),
    };
  },
});
