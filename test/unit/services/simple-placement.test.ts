import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEMO_GAME } from '../../../services/catalogue/catalogue.js';
import { SimplePlacement } from '../../../services/placement/simple-placement.js';
import { MemoryStore } from '../../../services/store/memory-store.js';
import type { NodeRecord } from '../../../services/store/store.js';

const TTL_MS = 60_000;

function node(nodeId: string, overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    nodeId,
    publicKey: 'A'.repeat(43),
    operatorId: 'op',
    name: nodeId,
    location: { lat: 0, lng: 0 },
    gpu: { model: 'gpu', vramMb: 8192 },
    encoders: ['h264'],
    slots: 1,
    pricePerHour: 1,
    signallingUrl: `http://${nodeId}/`,
    builds: [],
    lastHeartbeatAt: 0,
    ...overrides,
  };
}

describe('SimplePlacement', () => {
  let store: MemoryStore;
  let placement: SimplePlacement;
  const place = () => placement.place({ sessionId: `s${randomUUID()}`, game: DEMO_GAME, reservationTtlMs: TTL_MS });

  beforeEach(() => {
    store = new MemoryStore();
    placement = new SimplePlacement(store);
  });

  it('finds nothing when no node is live', async () => {
    expect(await place()).toBeNull();
  });

  it('orders by free slots, then price', async () => {
    await store.upsertNode(node('ncheap', { slots: 2, pricePerHour: 0.1 }), TTL_MS);
    await store.upsertNode(node('nroomy', { slots: 3, pricePerHour: 5 }), TTL_MS);
    await store.upsertNode(node('npricey', { slots: 2, pricePerHour: 0.2 }), TTL_MS);
    const order: string[] = [];
    for (let i = 0; i < 7; i++) order.push((await place())?.node.nodeId ?? 'none');
    expect(order).toEqual(['nroomy', 'ncheap', 'npricey', 'nroomy', 'ncheap', 'npricey', 'nroomy']);
    expect(await place()).toBeNull();
  });

  it('prefers nodes that cache the build and falls back to the others', async () => {
    await store.upsertNode(node('nempty', { slots: 5 }), TTL_MS);
    await store.upsertNode(node('ncached', { slots: 1, builds: [DEMO_GAME.buildId] }), TTL_MS);
    expect((await place())?.node.nodeId).toBe('ncached');
    expect((await place())?.node.nodeId).toBe('nempty');
  });

  it('returns the reservation it made', async () => {
    await store.upsertNode(node('none', { slots: 1 }), TTL_MS);
    const placed = await place();
    expect(placed?.reservation.expiresAt).toBeGreaterThan(0);
    expect(await store.nodeSlots('none')).toEqual({ capacity: 1, reserved: 1, busy: 0, free: 0 });
  });
});
