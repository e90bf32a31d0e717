import { describe, expect, it } from 'vitest';
import { FramePacer, type SampledFrame } from '../../../web-client/src/lib/frame-pacer.js';

const PERIOD = 1000 / 60;
/** The lead the pacer aims for by default: 0.35 of a period before the sampling refresh. */
const TARGET = PERIOD * 0.35;

/** `count` frames at 60 fps on a 60 Hz display, each arriving `lead(i)` ms before the refresh that samples it. */
function frames(count: number, lead: (i: number) => number, refreshMs = PERIOD, frameMs = PERIOD): SampledFrame[] {
  return Array.from({ length: count }, (_, i) => {
    const refreshAt = 1000 + i * refreshMs;
    return { refreshAt, presentedAt: refreshAt - lead(i), rtpTimestamp: Math.round(90 * (i * frameMs + 980)) };
  });
}

function feed(pacer: FramePacer, sampled: SampledFrame[]): (number | null)[] {
  return sampled.map((frame) => pacer.add(frame));
}

describe('FramePacer', () => {
  it('asks once a window to move frames to the target lead, the shorter way round', () => {
    const asked: number[] = [];
    const pacer = new FramePacer((shift) => asked.push(shift), { window: 60, gain: 1 });
    // Arriving 1 ms before the refresh, short of the target: the clock should run earlier by the difference.
    const results = feed(pacer, frames(60, () => 1));
    expect(results.slice(0, 59).every((result) => result === null)).toBe(true);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toBeCloseTo(1 - TARGET, 1);
    // Arriving 8 ms before: later, by 8 ms - the target.
    feed(pacer, frames(60, () => 8));
    expect(asked[1]).toBeCloseTo(8 - TARGET, 1);
    // Arriving 15 ms before: the shorter way round is earlier, so frames land at the target before the refresh after.
    feed(pacer, frames(60, () => 15));
    expect(asked[2]).toBeCloseTo(15 - TARGET - PERIOD, 1);
  });

  it('averages leads on the circle: frames straddling the refresh are at the edge, not midway', () => {
    const asked: number[] = [];
    const pacer = new FramePacer((shift) => asked.push(shift), { window: 60, gain: 1 });
    // Half land 0.5 ms before the sampling, half 0.5 ms after it (a lead of period - 0.5).
    feed(pacer, frames(60, (i) => (i % 2 === 0 ? 0.5 : PERIOD - 0.5)));
    // A lead of 0 on the circle: earlier by the target (a plain mean, half a period, would ask later).
    expect(asked[0]).toBeCloseTo(-TARGET, 0);
  });

  it('corrects by its gain and leaves frames that land at the target alone', () => {
    const asked: number[] = [];
    const pacer = new FramePacer((shift) => asked.push(shift), { window: 60, gain: 0.5, minShiftMs: 1 });
    feed(pacer, frames(60, () => TARGET + 4));
    expect(asked[0]).toBeCloseTo(2, 1);
    feed(pacer, frames(60, (i) => TARGET + (i % 2 === 0 ? 1 : -1)));
    expect(asked).toHaveLength(1);
  });

  it('does not pace a display that refreshes at another rate than the frames come', () => {
    const asked: number[] = [];
    const pacer = new FramePacer((shift) => asked.push(shift), { window: 60 });
    feed(pacer, frames(120, () => 1, 1000 / 144, PERIOD));
    feed(pacer, frames(120, () => 1, PERIOD, 1000 / 30));
    // Frames without RTP timestamps (not from WebRTC) have no period to lock to.
    feed(pacer, frames(60, () => 1).map((frame) => ({ ...frame, rtpTimestamp: 0 })));
    expect(asked).toEqual([]);
    feed(pacer, frames(60, () => 1));
    expect(asked).toHaveLength(1);
  });

  it('asks after its first window however small the shift, so the node learns the display is locked to the frames', () => {
    const asked: number[] = [];
    const pacer = new FramePacer((shift) => asked.push(shift), { window: 60, gain: 1, minShiftMs: 1 });
    feed(pacer, frames(60, () => TARGET + 0.2));
    feed(pacer, frames(60, () => TARGET + 0.2));
    expect(asked).toHaveLength(1);
    expect(asked[0]).toBeCloseTo(0.2, 1);
  });

  it('reports the windows it judged and the shifts it asked for', () => {
    const pacer = new FramePacer(() => undefined, { window: 60, gain: 1 });
    feed(pacer, frames(60, () => TARGET + 4));
    feed(pacer, frames(60, () => TARGET));
    feed(pacer, frames(60, () => 1, 1000 / 144, PERIOD));
    expect(pacer.report).toEqual({ windows: 2, shifts: 1 });
  });
});
