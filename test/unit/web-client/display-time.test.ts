import { describe, expect, it } from 'vitest';
import { RefreshPeriod, shownAt } from '../../../web-client/src/lib/display-time.js';

const PERIOD = 1000 / 60;

describe('shownAt', () => {
  /** A frame on the low-latency path: handed over at `presentedAt`, with an expected display time that does not matter. */
  const handedOver = (presentedAt: number, refreshAt = 1000) => ({ presentedAt, expectedAt: refreshAt + PERIOD, refreshAt });

  it('is the sampling refresh for a frame that reached the compositor within the period before it', () => {
    expect(shownAt(handedOver(995), PERIOD)).toBe(1000);
    expect(shownAt(handedOver(1000), PERIOD)).toBe(1000);
    expect(shownAt(handedOver(1000 - PERIOD + 0.5), PERIOD)).toBe(1000);
  });

  it('is an earlier refresh for a frame that waited longer than a period to be sampled', () => {
    expect(shownAt(handedOver(1000 - PERIOD - 1), PERIOD)).toBeCloseTo(1000 - PERIOD, 6);
  });

  it('is the next refresh for a frame that arrived after the sampling refresh began', () => {
    expect(shownAt(handedOver(1003), PERIOD)).toBeCloseTo(1000 + PERIOD, 6);
  });

  it("ignores an expected display time from before the frame arrived, the low-latency path's estimate", () => {
    expect(shownAt({ presentedAt: 995, expectedAt: 1000 - PERIOD, refreshAt: 1000 }, PERIOD)).toBe(1000);
  });

  it('is a refresh later where another frame reached the compositor since the last sampled one', () => {
    expect(shownAt(handedOver(995), PERIOD, 2)).toBeCloseTo(1000 + PERIOD, 6);
    expect(shownAt(handedOver(995), PERIOD, 1)).toBe(1000);
  });

  it("is the expected display time for a frame Chromium's render algorithm made current just after that refresh began", () => {
    expect(shownAt({ presentedAt: 1000.4, expectedAt: 1000, refreshAt: 1000 }, PERIOD)).toBe(1000);
    expect(shownAt({ presentedAt: 1000.4, expectedAt: 1000, refreshAt: 1000 }, PERIOD, 2)).toBe(1000);
  });

  it('without a period, is never before the frame arrived', () => {
    expect(shownAt(handedOver(1003), NaN)).toBe(1003);
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
