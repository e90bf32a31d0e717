import { describe, expect, it } from 'vitest';
import { MAX_RTT_MS } from '../../../protocol/placement.js';
import { DEFAULT_QUEUE_POLICY, PlacementQueue } from '../../../services/matchmaker/placement-queue.js';
import { MemoryStore } from '../../../services/store/memory-store.js';

describe('placement queue policy', () => {
  const queue = new PlacementQueue(new MemoryStore(), DEFAULT_QUEUE_POLICY);

  it('relaxes the latency bound in steps, to unbounded after about 30 s', () => {
    const bounds = [0, 4_999, 5_000, 10_000, 20_000, 29_999, 30_000, 600_000].map((waited) => queue.latencyBoundMs(waited));
    expect(bounds).toEqual([40, 40, 60, 90, 150, 150, MAX_RTT_MS, MAX_RTT_MS]);
  });

  it('estimates the wait from the position and the recent departure interval', () => {
    expect(queue.view({ position: 3, length: 9, meanDepartureIntervalMs: 4_000 }, 60)).toEqual({
      state: 'queued',
      position: 3,
      estimatedWaitS: 12,
      latencyBoundMs: 60,
      retryAfterMs: DEFAULT_QUEUE_POLICY.pollIntervalMs,
    });
    expect(queue.view({ position: 2, length: 2, meanDepartureIntervalMs: null }, 40).estimatedWaitS).toBe((2 * DEFAULT_QUEUE_POLICY.defaultDepartureIntervalMs) / 1000);
  });

  it('keeps players of one game in one region in one queue, and apart from other regions and games', () => {
    const paris = queue.queueFor('demo-arena', { lat: 48.85, lng: 2.35 });
    expect(queue.queueFor('demo-arena', { lat: 48.9, lng: 2.4 })).toBe(paris);
    expect(queue.queueFor('demo-arena', { lat: 35.68, lng: 139.69 })).not.toBe(paris);
    expect(queue.queueFor('other-game', { lat: 48.85, lng: 2.35 })).not.toBe(paris);
  });
});
