import { describe, expect, it } from 'vitest';
import { CapturePhase } from '../../../edge-node/x11/capture-phase.js';

const PERIOD = 1000 / 60;

/** Grabs every half period from `start`; returns the grab times kept. */
function run(phase: CapturePhase, start: number, grabs: number): number[] {
  const kept: number[] = [];
  for (let i = 0; i < grabs; i++) {
    const at = start + (i * PERIOD) / 2;
    if (phase.take(at)) kept.push(at);
  }
  return kept;
}

describe('CapturePhase', () => {
  it('keeps one grab in two, a period apart', () => {
    const kept = run(new CapturePhase(PERIOD), 1000, 40);
    expect(kept).toHaveLength(20);
    for (let i = 1; i < kept.length; i++) expect(kept[i]! - kept[i - 1]!).toBeCloseTo(PERIOD, 6);
  });

  it('moves the kept grabs to the other phase when the pacer asks for a shift past a quarter period', () => {
    const phase = new CapturePhase(PERIOD);
    const before = run(phase, 1000, 20);
    phase.shift(PERIOD / 2);
    const after = run(phase, 1000 + 10 * PERIOD, 20);
    expect(before[0]).toBe(1000);
    // Every kept grab is now the one between the old phase's grabs.
    for (const at of after) expect(((at - 1000) / PERIOD) % 1).toBeCloseTo(0.5, 6);
  });

  it('keeps the phase for shifts smaller than a quarter period, and accumulates them', () => {
    const phase = new CapturePhase(PERIOD);
    run(phase, 0, 10);
    phase.shift(PERIOD / 8);
    const small = run(phase, 5 * PERIOD, 10);
    for (const at of small) expect((at / PERIOD) % 1).toBeCloseTo(0, 6);
    phase.shift(PERIOD / 4);
    const moved = run(phase, 10 * PERIOD, 10);
    for (const at of moved) expect((at / PERIOD) % 1).toBeCloseTo(0.5, 6);
  });

  it('streams the next period after a stall instead of every grab that catches up', () => {
    const phase = new CapturePhase(PERIOD);
    expect(phase.take(0)).toBe(true);
    expect(phase.take(5 * PERIOD)).toBe(true);
    expect(phase.take(5.5 * PERIOD)).toBe(false);
    expect(phase.take(6 * PERIOD)).toBe(true);
  });

  it('bounds one shift to half a period', () => {
    const phase = new CapturePhase(PERIOD);
    expect(phase.take(0)).toBe(true);
    phase.shift(-10 * PERIOD);
    expect(phase.take(PERIOD / 4)).toBe(true);
    expect(phase.take(PERIOD / 2)).toBe(false);
  });
});
