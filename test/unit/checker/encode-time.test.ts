import { describe, expect, it } from 'vitest';
import { playerRoles } from '../../../services/checker/checker.js';
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

describe("a check's synthetic players", () => {
  it('has one read the stream and the rest time latency; a lone player reads it on the given share of checks', () => {
    expect(playerRoles(3, 0)).toEqual(['stream', 'latency', 'latency']);
    expect(playerRoles(1, 0)).toEqual(['latency']);
    expect(playerRoles(1, 1)).toEqual(['stream']);
    const reads = Array.from({ length: 400 }, () => playerRoles(1, 0.5)[0]).filter((role) => role === 'stream').length;
    expect(reads).toBeGreaterThan(140);
    expect(reads).toBeLessThan(260);
  });
});
