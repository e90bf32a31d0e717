/** The video rate actually sent over a sliding window. */
import { describe, expect, it } from 'vitest';
import { SentRate } from '../../../edge-node/media/sent-rate.js';

describe('sent rate', () => {
  it('knows nothing until a whole window has passed', () => {
    const rate = new SentRate(1000);
    rate.add(10_000, 0);
    expect(rate.kbps(500)).toBeUndefined();
    expect(rate.kbps(1000)).toBeDefined();
  });

  it('counts only what went out within the window', () => {
    const rate = new SentRate(1000);
    // 60 frames a second of 5,000 bytes: 2.4 Mbit/s.
    for (let t = 0; t < 2000; t += 1000 / 60) rate.add(5000, t);
    expect(rate.kbps(2000)).toBeCloseTo(2400, -2);
    // Nothing sent for half a window: half the rate.
    expect(rate.kbps(2500)).toBeCloseTo(1200, -2);
    expect(rate.kbps(3100)).toBe(0);
  });
});
