import { describe, expect, it } from 'vitest';
import { FramePacer, type SampledFrame } from '../../../web-client/src/lib/frame-pacer.js';

const PERIOD = 1000 / 60;
/** The lead the pacer aims for by default: three quarters of a period before the sampling refresh. */
const TARGET = PERIOD * 0.75;

/** `count` frames at 60 fps on a 60 Hz display, each arriving `lead(i)` ms before it is sampled and shown `age` ms after its RTP time. */
function frames(count: number, lead: (i: number) => number, refreshMs = PERIOD, frameMs = PERIOD, age = 20): SampledFrame[] {
  return Array.from({ length: count }, (_, i) => {
    const refreshAt = 1000 + i * refreshMs;
    const sampledAt = refreshAt + 2;
    return { refreshAt, sampledAt, presentedAt: sampledAt - lead(i), rtpTimestamp: Math.round(90 * (i * frameMs + 1000 - age)) };
  });
}

function feed(pacer: FramePacer, sampled: SampledFrame[]): (number | null)[] {
  return sampled.map((frame) => pacer.add(frame));
}

describe('FramePacer', () => {
  it('asks once a window to move frames that land just before the refresh to the target lead, later when they land earlier', () => {
    const asked: number[] = [];
    const pacer = new FramePacer((shift) => asked.push(shift), { window: 60, gain: 1, tryOtherHalf: false });
    // Arriving 1 ms before sampling, 11.5 ms short of the target: the shorter way round is to run
    // the clock later, by a period less that, so frames land at the target before the refresh after.
    const results = feed(pacer, frames(60, () => 1));
    expect(results.slice(0, 59).every((result) => result === null)).toBe(true);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toBeCloseTo(1 - TARGET + PERIOD, 1);
    // Arriving 15 ms before: later, by 15 ms - the target.
    feed(pacer, frames(60, () => 15));
    expect(asked[1]).toBeCloseTo(15 - TARGET, 1);
  });

  it('averages leads on the circle: frames straddling the refresh are at the edge, not midway', () => {
    const asked: number[] = [];
    const pacer = new FramePacer((shift) => asked.push(shift), { gain: 1 });
    // Half land 0.5 ms before the sampling, half 0.5 ms after it (a lead of period - 0.5).
    feed(pacer, frames(60, (i) => (i % 2 === 0 ? 0.5 : PERIOD - 0.5)));
    // A lead of 0 on the circle: later by a quarter period (a plain mean, half a period, would ask earlier).
    expect(asked[0]).toBeCloseTo(PERIOD - TARGET, 0);
  });

  it('corrects by its gain and leaves frames that land at the target alone', () => {
    const asked: number[] = [];
    const pacer = new FramePacer((shift) => asked.push(shift), { gain: 0.5, minShiftMs: 1, tryOtherHalf: false });
    feed(pacer, frames(60, () => TARGET + 4));
    expect(asked[0]).toBeCloseTo(2, 1);
    feed(pacer, frames(60, (i) => TARGET + (i % 2 === 0 ? 1 : -1)));
    expect(asked).toHaveLength(1);
  });

  it('does not pace a display that refreshes at another rate than the frames come', () => {
    const asked: number[] = [];
    const pacer = new FramePacer((shift) => asked.push(shift));
    feed(pacer, frames(120, () => 1, 1000 / 144, PERIOD));
    feed(pacer, frames(120, () => 1, PERIOD, 1000 / 30));
    // Frames without RTP timestamps (not from WebRTC) have no period to lock to.
    feed(pacer, frames(60, () => 1).map((frame) => ({ ...frame, rtpTimestamp: 0 })));
    expect(asked).toEqual([]);
    feed(pacer, frames(60, () => 1));
    expect(asked).toHaveLength(1);
  });

  it('tries the target half a period away once settled, and keeps it when frames are shown younger there', () => {
    const asked: number[] = [];
    const pacer = new FramePacer((shift) => asked.push(shift), { gain: 1 });
    // Settled at three quarters of a period, but every frame shown a refresh late: old when shown.
    for (let w = 0; w < 2; w++) feed(pacer, frames(60, () => TARGET, PERIOD, PERIOD, 20 + PERIOD));
    expect(asked).toEqual([]);
    // The next window asks to move half a period to the other target.
    feed(pacer, frames(60, () => TARGET, PERIOD, PERIOD, 20 + PERIOD));
    expect(Math.abs(asked[0]!)).toBeCloseTo(PERIOD / 2, 1);
    // Settled there, frames are shown a period younger: it stays.
    for (let w = 0; w < 3; w++) feed(pacer, frames(60, () => TARGET - PERIOD / 2, PERIOD, PERIOD, 20));
    expect(asked).toHaveLength(1);
    feed(pacer, frames(60, () => TARGET, PERIOD, PERIOD, 20));
    expect(Math.abs(asked[1]!)).toBeCloseTo(PERIOD / 2, 1);
  });

  it('goes back to its target when the other half shows frames older', () => {
    const asked: number[] = [];
    const pacer = new FramePacer((shift) => asked.push(shift), { gain: 1 });
    for (let w = 0; w < 3; w++) feed(pacer, frames(60, () => TARGET, PERIOD, PERIOD, 20));
    expect(asked).toHaveLength(1);
    // Settled at the other half, frames are shown a period older: back to three quarters.
    feed(pacer, frames(60, () => TARGET - PERIOD / 2, PERIOD, PERIOD, 20 + PERIOD));
    expect(asked).toHaveLength(1);
    feed(pacer, frames(60, () => TARGET - PERIOD / 2, PERIOD, PERIOD, 20 + PERIOD));
    expect(asked).toHaveLength(2);
    expect(Math.abs(asked[1]!)).toBeCloseTo(PERIOD / 2, 1);
    // The trial is over: frames at three quarters stay there.
    for (let w = 0; w < 4; w++) feed(pacer, frames(60, () => TARGET, PERIOD, PERIOD, 20 + PERIOD));
    expect(asked).toHaveLength(2);
  });
});
