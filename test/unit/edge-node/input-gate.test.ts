import { describe, expect, it } from 'vitest';
import { InputGate } from '../../../edge-node/input/input-gate.js';

describe('InputGate', () => {
  it('admits every kind of valid event', () => {
    const gate = new InputGate();
    const events = [
      { t: 'key', seq: 1, code: 'KeyW', down: true },
      { t: 'mmove', seq: 2, dx: -3.5, dy: 12 },
      { t: 'mbtn', seq: 3, button: 0, down: false },
      { t: 'wheel', seq: 4, dy: 120 },
      { t: 'pad', seq: 5, index: 0, axes: [0.5, -1], buttons: [1, 0] },
    ];
    for (const event of events) expect(gate.admit(JSON.stringify(event))).toEqual({ ok: true, event });
    expect(gate.stats.accepted).toBe(5);
  });

  it('drops and counts malformed, out-of-range, unknown and oversized messages', () => {
    const gate = new InputGate();
    const bad: [string, string][] = [
      ['{not json', 'malformed'],
      [JSON.stringify({ t: 'key', seq: 1, code: 'Key W', down: true }), 'invalid'],
      [JSON.stringify({ t: 'mmove', seq: 1, dx: 1e9, dy: 0 }), 'invalid'],
      [JSON.stringify({ t: 'mbtn', seq: 1, button: 9, down: true }), 'invalid'],
      [JSON.stringify({ t: 'key', seq: -1, code: 'KeyA', down: true }), 'invalid'],
      [JSON.stringify({ t: 'launch-missiles', seq: 1 }), 'invalid'],
      [JSON.stringify({ t: 'key', seq: 1, code: 'KeyA', down: true, extra: 1 }), 'invalid'],
      [JSON.stringify({ t: 'pad', seq: 1, index: 0, axes: new Array(9).fill(0), buttons: [] }), 'invalid'],
      ['null', 'invalid'],
      [JSON.stringify({ t: 'key', seq: 1, code: 'A'.repeat(600), down: true }), 'too_large'],
    ];
    for (const [message, reason] of bad) expect(gate.admit(message)).toEqual({ ok: false, reason });
    expect(gate.stats).toMatchObject({ accepted: 0, malformed: 1, invalid: 8, tooLarge: 1 });
    expect(gate.dropped).toBe(10);
  });

  it('rate-limits a flood and recovers as tokens refill', () => {
    let now = 0;
    const gate = new InputGate({ ratePerSecond: 100, burst: 10, now: () => now });
    const message = JSON.stringify({ t: 'mmove', seq: 1, dx: 1, dy: 1 });
    const results = Array.from({ length: 50 }, () => gate.admit(message).ok);
    expect(results.filter(Boolean)).toHaveLength(10);
    expect(gate.stats.rateLimited).toBe(40);
    now += 100;
    expect(Array.from({ length: 20 }, () => gate.admit(message).ok).filter(Boolean)).toHaveLength(10);
  });
});
