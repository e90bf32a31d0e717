import { describe, expect, it } from 'vitest';
import { encodeTime } from '../../../services/checker/synthetic-player.js';

const report = (sinceEncodeStartMs: number[]) => ({ encoder: null, framesInspected: sinceEncodeStartMs.length, sinceEncodeStartMs });

describe('encode time from the stream timing', () => {
  it("is the median over the play window of stamp-to-arrival, less half the round trip", () => {
    // Frames before the window (a slow first keyframe) do not count.
    expect(encodeTime(report([90, 80]), report([90, 80, 5, 7, 6, 30, 6]), 2)).toBe(5);
  });

  it('is null without stamps, and never negative when the round trip outweighs it', () => {
    expect(encodeTime(null, null, 2)).toBeNull();
    expect(encodeTime(report([]), report([]), 2)).toBeNull();
    expect(encodeTime(null, report([1, 1, 1]), 10)).toBe(0);
  });
});
