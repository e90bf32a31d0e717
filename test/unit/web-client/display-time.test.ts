import { describe, expect, it } from 'vitest';
import { RefreshPeriod, shownAt } from '../../../web-client/src/lib/display-time.js';

const PERIOD = 1000 / 60;

describe('shownAt', () => {
  it("keeps Chromium's expected display time when it is not before the frame reached the compositor", () => {
    expect(shownAt(1000, 995, PERIOD)).toBe(1000);
    expect(shownAt(1000, 1000, PERIOD)).toBe(1000);
  });

  it('moves a display time from before the frame arrived to the first refresh at or after it', () => {
    expect(shownAt(1000, 1003, PERIOD)).toBeCloseTo(1000 + PERIOD, 6);
    expect(shownAt(1000, 1000 + PERIOD + 1, PERIOD)).toBeCloseTo(1000 + 2 * PERIOD, 6);
  });
});

describe('RefreshPeriod', () => {
  it('assumes 60 Hz until it has seen refreshes, then takes the shortest step: a skipped refresh is two periods, not one', () => {
    const period = new RefreshPeriod();
    expect(period.ms).toBeCloseTo(PERIOD, 6);
    for (const at of [0, 6.94, 13.89, 27.78, 34.72]) period.add(at);
    expect(period.ms).toBeCloseTo(6.94, 2);
  });

  it('ignores two callbacks of one refresh', () => {
    const period = new RefreshPeriod();
    for (const at of [0, 0.5, PERIOD, PERIOD + 0.3, 2 * PERIOD]) period.add(at);
    expect(period.ms).toBeGreaterThan(PERIOD - 1);
  });
});
