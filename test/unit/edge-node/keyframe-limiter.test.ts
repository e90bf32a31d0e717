/** Keyframes on request, at most one per interval: a PLI storm gets a handful, never one each. */
import { describe, expect, it } from 'vitest';
import { KeyframeLimiter } from '../../../edge-node/media/keyframe-limiter.js';

describe('keyframe limiter', () => {
  it('answers the first request on the next frame', () => {
    const limiter = new KeyframeLimiter(300);
    expect(limiter.take(0)).toBe(false);
    limiter.request();
    expect(limiter.take(16)).toBe(true);
    expect(limiter.take(33)).toBe(false);
  });

  it('holds later requests until the interval since the last keyframe ends, then answers them with one', () => {
    const limiter = new KeyframeLimiter(300);
    limiter.request();
    expect(limiter.take(0)).toBe(true);
    limiter.sent(5);
    limiter.request();
    limiter.request();
    expect(limiter.take(100)).toBe(false);
    expect(limiter.waiting).toBe(true);
    expect(limiter.take(305)).toBe(true);
    expect(limiter.waiting).toBe(false);
  });

  it('a PLI on every packet of a one-second loss burst yields at most four keyframes', () => {
    const limiter = new KeyframeLimiter(300);
    let keyframes = 0;
    for (let now = 0; now < 1000; now += 1) {
      limiter.request();
      // A frame every 16-17 ms.
      if (now % 16 === 0 && limiter.take(now)) {
        keyframes++;
        limiter.sent(now);
      }
    }
    expect(keyframes).toBeGreaterThanOrEqual(3);
    expect(keyframes).toBeLessThanOrEqual(4);
  });

  it('counts a keyframe it did not ask for (a new encoder) towards the interval', () => {
    const limiter = new KeyframeLimiter(300);
    limiter.sent(0);
    limiter.request();
    expect(limiter.take(100)).toBe(false);
    expect(limiter.take(300)).toBe(true);
  });
});
