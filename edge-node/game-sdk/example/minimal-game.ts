#!/usr/bin/env node
/**
 * The smallest useful game on the SDK: a square the arrow keys (or WASD) move across a dark
 * field, with a tone whose pitch follows its height. It imports nothing but the SDK, so it is
 * also what the tests package as a studio's `frames` build.
 */
import { AUDIO_SAMPLE_RATE, rgbToYuv, runGame, type InputEvent } from '../index.js';

const SPEED_PX_PER_S = 400;
const KEYS: Record<string, [number, number]> = { ArrowLeft: [-1, 0], KeyA: [-1, 0], ArrowRight: [1, 0], KeyD: [1, 0], ArrowUp: [0, -1], KeyW: [0, -1], ArrowDown: [0, 1], KeyS: [0, 1] };
const FIELD = rgbToYuv(10, 12, 30);
const SQUARE = rgbToYuv(255, 200, 40);

runGame({
  name: 'minimal-game',
  create({ width, height }) {
    const size = Math.round(height / 8);
    let x = (width - size) / 2;
    let y = (height - size) / 2;
    const held = new Set<string>();
    let phase = 0;
    return {
      step(dtMs) {
        for (const code of held) {
          const [dx, dy] = KEYS[code] ?? [0, 0];
          x = Math.max(0, Math.min(width - size, x + (dx * SPEED_PX_PER_S * dtMs) / 1000));
          y = Math.max(0, Math.min(height - size, y + (dy * SPEED_PX_PER_S * dtMs) / 1000));
        }
      },
      input(event: InputEvent) {
        if (event.t !== 'key' || !(event.code in KEYS)) return;
        if (event.down) held.add(event.code);
        else held.delete(event.code);
      },
      render(canvas) {
        canvas.clear(FIELD);
        canvas.fillRect(x, y, size, size, SQUARE);
      },
      sound(samples) {
        const hz = 220 + 440 * (1 - y / height);
        for (let i = 0; i < samples.length; i += 2) {
          phase = (phase + (2 * Math.PI * hz) / AUDIO_SAMPLE_RATE) % (2 * Math.PI);
          samples[i] = samples[i + 1] = Math.round(3000 * Math.sin(phase));
        }
      },
    };
  },
});
