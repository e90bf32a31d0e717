import { describe, expect, it } from 'vitest';
import { GameState, INVULNERABLE_MS, START_LIVES } from '../../../edge-node/demo-game/game-state.js';
import type { InputEvent } from '../../../protocol/input.js';

function newGame(seed = 42): GameState {
  const state = new GameState({ width: 1280, height: 720, seed });
  // Hazards drift at random; tests that are not about them keep them out of the way.
  state.hazards.length = 0;
  return state;
}

/** step() caps one call at 250 ms (a stalled process must not leap), so longer spans go frame by frame. */
function run(state: GameState, ms: number): void {
  for (let t = 0; t < ms; t += 16) state.step(16);
}

function key(seq: number, code: string, down: boolean): InputEvent {
  return { t: 'key', seq, code, down };
}

describe('GameState', () => {
  it('moves the ship with WASD and arrow keys', () => {
    const state = newGame();
    const { x, y } = state.ship;
    state.applyInput(key(1, 'KeyD', true));
    run(state, 500);
    expect(state.ship.x).toBeGreaterThan(x + 100);
    expect(state.ship.y).toBeCloseTo(y, 5);

    state.applyInput(key(2, 'KeyD', false));
    state.applyInput(key(3, 'ArrowUp', true));
    const before = state.ship.y;
    run(state, 500);
    expect(state.ship.y).toBeLessThan(before - 100);
    expect(state.lastInputSeq).toBe(3);
  });

  it('stops at the arena walls', () => {
    const state = newGame();
    state.applyInput(key(1, 'KeyA', true));
    run(state, 5000);
    expect(state.ship.x).toBeCloseTo(state.arena.left + state.ship.radius, 5);
  });

  it('moves with the gamepad stick, aims with the mouse and dashes on Space', () => {
    const state = newGame();
    const x = state.ship.x;
    state.applyInput({ t: 'pad', seq: 1, index: 0, axes: [1, 0], buttons: [] });
    run(state, 300);
    expect(state.ship.x).toBeGreaterThan(x + 50);

    const angle = state.ship.angle;
    state.applyInput({ t: 'mmove', seq: 2, dx: 100, dy: 0 });
    state.step(16);
    expect(state.ship.angle).toBeGreaterThan(angle);

    state.applyInput({ t: 'pad', seq: 3, index: 0, axes: [0, 0], buttons: [] });
    run(state, 1000);
    state.applyInput(key(4, 'Space', true));
    state.step(16);
    expect(Math.hypot(state.ship.vx, state.ship.vy)).toBeGreaterThan(600);
  });

  it('scores when the ship collects an orb, and respawns the orb elsewhere', () => {
    const state = newGame();
    const orb = state.orbs[0]!;
    orb.x = state.ship.x;
    orb.y = state.ship.y;
    state.step(16);
    expect(state.score).toBe(1);
    expect(state.best).toBe(1);
    const respawned = state.orbs[0]!;
    expect(Math.hypot(respawned.x - state.ship.x, respawned.y - state.ship.y)).toBeGreaterThan(respawned.radius + state.ship.radius);
  });

  it('costs a life on a hazard hit, with invulnerability, and restarts the round on the last life', () => {
    const state = new GameState({ width: 1280, height: 720, seed: 7 });
    state.score = 5;
    const hitShip = (): void => {
      for (const hazard of state.hazards) {
        hazard.x = state.ship.x;
        hazard.y = state.ship.y;
        hazard.vx = 0;
        hazard.vy = 0;
      }
      state.step(16);
      // Parked in a corner so the waits below test invulnerability running out, not further hits.
      for (const hazard of state.hazards) {
        hazard.x = state.arena.left + hazard.radius;
        hazard.y = state.arena.top + hazard.radius;
      }
    };

    hitShip();
    expect(state.lives).toBe(START_LIVES - 1);
    expect(state.invulnerableMs).toBeGreaterThan(0);
    hitShip();
    expect(state.lives).toBe(START_LIVES - 1);

    run(state, INVULNERABLE_MS);
    hitShip();
    expect(state.lives).toBe(START_LIVES - 2);
    run(state, INVULNERABLE_MS);
    hitShip();
    expect(state.lives).toBe(START_LIVES);
    expect(state.score).toBe(0);
  });

  it('is deterministic for a seed, inputs and step durations', () => {
    const play = (seed: number): string => {
      const state = new GameState({ width: 1280, height: 720, seed });
      state.applyInput(key(1, 'KeyW', true));
      for (let i = 0; i < 300; i++) {
        if (i === 100) state.applyInput({ t: 'mmove', seq: 2, dx: 40, dy: 0 });
        if (i === 150) state.applyInput({ t: 'mbtn', seq: 3, button: 0, down: true });
        state.step(16 + (i % 3));
      }
      return JSON.stringify({ ship: state.ship, orbs: state.orbs, hazards: state.hazards, score: state.score, lives: state.lives });
    };
    expect(play(1)).toBe(play(1));
    expect(play(1)).not.toBe(play(2));
  });
});
