/**
 * One contract for every Store backend: the embedded in-process store and Redis (a real
 * redis-server started for this file) must behave the same.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../services/store/memory-store.js';
import { RedisStore } from '../../../services/store/redis-store.js';
import type { NodeRecord, SessionRecord, Store } from '../../../services/store/store.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { pollUntil } from './helpers/poll.js';

interface OpenBackend {
  store: Store;
  /** Independent handles on the same data (separate connections for Redis), for races. */
  handles: Store[];
  close(): Promise<void>;
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const backends: { name: string; open(): Promise<OpenBackend> }[] = [
  {
    name: 'memory',
    async open() {
      const store = new MemoryStore();
      return { store, handles: [store], close: () => store.close() };
    },
  },
  {
    name: 'redis',
    async open() {
      const prefix = `test:${randomUUID()}:`;
      const handles = await Promise.all([0, 1, 2, 3].map(() => RedisStore.connect(redis.url, { keyPrefix: prefix })));
      return {
        store: handles[0]!,
        handles,
        close: async () => {
          await Promise.all(handles.map((handle) => handle.close()));
        },
      };
    },
  },
];

const LONG_TTL_MS = 60_000;

function nodeRecord(overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    nodeId: `n${randomUUID().replaceAll('-', '').slice(0, 20)}`,
    publicKey: 'A'.repeat(43),
    operatorId: 'operator-a',
    name: 'rig-1',
    location: { lat: 48.85, lng: 2.35 },
    gpu: { model: 'RTX 4090', vramMb: 24_576 },
    encoders: ['h264'],
    slots: 3,
    pricePerHour: 0.5,
    signallingUrl: 'http://127.0.0.1:9000/',
    builds: [],
    lastHeartbeatAt: 1_700_000_000_000,
    ...overrides,
  };
}

function sessionRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    sessionId: `s${randomUUID().replaceAll('-', '')}`,
    nodeId: 'n0',
    playerId: 'p0',
    gameId: 'demo-arena',
    buildId: 'b'.repeat(64),
    state: 'reserved',
    createdAt: 1_700_000_000_000,
    reservationExpiresAt: 1_700_000_030_000,
    ...overrides,
  };
}

describe.each(backends)('$name store', (backend) => {
  let open: OpenBackend;
  let store: Store;

  beforeEach(async () => {
    open = await backend.open();
    store = open.store;
  });

  afterEach(async () => {
    for (const node of await store.listNodes()) {
      const slots = await store.nodeSlots(node.nodeId);
      expect(slots.free + slots.reserved + slots.busy).toBe(slots.capacity);
    }
    await open.close();
  });

  describe('nodes', () => {
    it('registers a node, returns it and lists it while it is live', async () => {
      const node = nodeRecord();
      expect(await store.upsertNode(node, LONG_TTL_MS)).toBe('created');
      expect(await store.getNode(node.nodeId)).toEqual(node);
      expect((await store.listNodes()).map((listed) => listed.nodeId)).toContain(node.nodeId);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 3, reserved: 0, busy: 0, free: 3 });
    });

    it('refreshes a live node on re-registration and keeps its slot accounting', async () => {
      const node = nodeRecord();
      await store.upsertNode(node, LONG_TTL_MS);
      expect(await store.reserveSlot(node.nodeId, 's1', LONG_TTL_MS)).not.toBeNull();

      const renamed = { ...node, name: 'rig-renamed', slots: 4, builds: ['c'.repeat(64)] };
      expect(await store.upsertNode(renamed, LONG_TTL_MS)).toBe('refreshed');
      expect(await store.getNode(node.nodeId)).toEqual(renamed);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 4, reserved: 1, busy: 0, free: 3 });
    });

    it('refuses to hand a live node to another operator', async () => {
      const node = nodeRecord();
      await store.upsertNode(node, LONG_TTL_MS);
      expect(await store.upsertNode({ ...node, operatorId: 'operator-b', signallingUrl: 'http://evil/' }, LONG_TTL_MS)).toBe(
        'operator_mismatch',
      );
      expect(await store.getNode(node.nodeId)).toEqual(node);
    });

    it('forgets a node that is not refreshed within its TTL, with its slots and heartbeat sequence', async () => {
      const node = nodeRecord();
      await store.upsertNode(node, LONG_TTL_MS);
      expect(await store.acceptHeartbeat(node.nodeId, 5, node.lastHeartbeatAt, 150)).toBe('accepted');
      await store.reserveSlot(node.nodeId, 's1', LONG_TTL_MS);

      await pollUntil(() => store.getNode(node.nodeId), (found) => found === null);
      expect((await store.listNodes()).map((listed) => listed.nodeId)).not.toContain(node.nodeId);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 0, reserved: 0, busy: 0, free: 0 });
      expect(await store.acceptHeartbeat(node.nodeId, 6, node.lastHeartbeatAt, LONG_TTL_MS)).toBe('unknown_node');

      expect(await store.upsertNode({ ...node, operatorId: 'operator-b' }, LONG_TTL_MS)).toBe('created');
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 3, reserved: 0, busy: 0, free: 3 });
      expect(await store.acceptHeartbeat(node.nodeId, 1, node.lastHeartbeatAt, LONG_TTL_MS)).toBe('accepted');
    });

    it('keeps a node alive while heartbeats restart its TTL', async () => {
      const node = nodeRecord();
      await store.upsertNode(node, 400);
      expect(await store.acceptHeartbeat(node.nodeId, 1, node.lastHeartbeatAt + 1, LONG_TTL_MS)).toBe('accepted');
      await sleep(600);
      expect(await store.getNode(node.nodeId)).not.toBeNull();
    });

    it('accepts only strictly increasing heartbeat sequence numbers', async () => {
      const node = nodeRecord();
      await store.upsertNode(node, LONG_TTL_MS);
      expect(await store.acceptHeartbeat(node.nodeId, 0, 1_700_000_001_000, LONG_TTL_MS)).toBe('accepted');
      expect(await store.acceptHeartbeat(node.nodeId, 7, 1_700_000_002_000, LONG_TTL_MS)).toBe('accepted');
      expect(await store.acceptHeartbeat(node.nodeId, 7, 1_700_000_003_000, LONG_TTL_MS)).toBe('replayed');
      expect(await store.acceptHeartbeat(node.nodeId, 3, 1_700_000_004_000, LONG_TTL_MS)).toBe('replayed');
      expect((await store.getNode(node.nodeId))?.lastHeartbeatAt).toBe(1_700_000_002_000);

      await store.upsertNode(node, LONG_TTL_MS);
      expect(await store.acceptHeartbeat(node.nodeId, 7, 1_700_000_005_000, LONG_TTL_MS)).toBe('replayed');
      expect(await store.acceptHeartbeat(node.nodeId, 8, 1_700_000_005_000, LONG_TTL_MS)).toBe('accepted');
    });
  });

  describe('slots', () => {
    it('never over-books: of 50 concurrent reservations on a 3-slot node exactly 3 win', async () => {
      const node = nodeRecord({ slots: 3 });
      await store.upsertNode(node, LONG_TTL_MS);
      const attempts = Array.from({ length: 50 }, (_, i) =>
        open.handles[i % open.handles.length]!.reserveSlot(node.nodeId, `s${i}`, LONG_TTL_MS),
      );
      const winners = (await Promise.all(attempts)).filter((reservation) => reservation !== null);
      expect(winners).toHaveLength(3);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 3, reserved: 3, busy: 0, free: 0 });
    });

    it('moves a reservation to busy on activation and frees it on release', async () => {
      const node = nodeRecord({ slots: 2 });
      await store.upsertNode(node, LONG_TTL_MS);
      const before = Date.now();
      const reservation = await store.reserveSlot(node.nodeId, 's1', LONG_TTL_MS);
      expect(reservation?.expiresAt).toBeGreaterThan(before);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 2, reserved: 1, busy: 0, free: 1 });

      expect(await store.activateSession(node.nodeId, 's1')).toBe(true);
      expect(await store.activateSession(node.nodeId, 's1')).toBe(true);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 2, reserved: 0, busy: 1, free: 1 });
      expect(await store.reserveSlot(node.nodeId, 's1', LONG_TTL_MS)).toBeNull();

      expect(await store.releaseSlot(node.nodeId, 's1')).toBe(true);
      expect(await store.releaseSlot(node.nodeId, 's1')).toBe(false);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 2, reserved: 0, busy: 0, free: 2 });
    });

    it('releases a reservation that was never activated', async () => {
      const node = nodeRecord({ slots: 1 });
      await store.upsertNode(node, LONG_TTL_MS);
      await store.reserveSlot(node.nodeId, 's1', LONG_TTL_MS);
      expect(await store.reserveSlot(node.nodeId, 's2', LONG_TTL_MS)).toBeNull();
      expect(await store.releaseSlot(node.nodeId, 's1')).toBe(true);
      expect(await store.reserveSlot(node.nodeId, 's2', LONG_TTL_MS)).not.toBeNull();
    });

    it('re-reserving the same session extends it without taking another slot', async () => {
      const node = nodeRecord({ slots: 2 });
      await store.upsertNode(node, LONG_TTL_MS);
      const first = await store.reserveSlot(node.nodeId, 's1', 1_000);
      const second = await store.reserveSlot(node.nodeId, 's1', LONG_TTL_MS);
      expect(second?.expiresAt).toBeGreaterThan(first?.expiresAt ?? Infinity);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 2, reserved: 1, busy: 0, free: 1 });
    });

    it('activates only a session that holds a live reservation', async () => {
      const node = nodeRecord();
      await store.upsertNode(node, LONG_TTL_MS);
      expect(await store.activateSession(node.nodeId, 'never-reserved')).toBe(false);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 3, reserved: 0, busy: 0, free: 3 });
    });

    it('lets an unused reservation expire and frees its slot', async () => {
      const node = nodeRecord({ slots: 1 });
      await store.upsertNode(node, LONG_TTL_MS);
      expect(await store.reserveSlot(node.nodeId, 's1', 100)).not.toBeNull();
      await pollUntil(() => store.nodeSlots(node.nodeId), (slots) => slots.free === 1);
      expect(await store.activateSession(node.nodeId, 's1')).toBe(false);
      expect(await store.reserveSlot(node.nodeId, 's2', LONG_TTL_MS)).not.toBeNull();
    });

    it('keeps the counts consistent when a node shrinks below what is in use', async () => {
      const node = nodeRecord({ slots: 3 });
      await store.upsertNode(node, LONG_TTL_MS);
      await store.reserveSlot(node.nodeId, 's1', LONG_TTL_MS);
      await store.reserveSlot(node.nodeId, 's2', LONG_TTL_MS);
      await store.upsertNode({ ...node, slots: 1 }, LONG_TTL_MS);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 2, reserved: 2, busy: 0, free: 0 });
      expect(await store.reserveSlot(node.nodeId, 's3', LONG_TTL_MS)).toBeNull();
    });

    it('gives an unknown node no capacity', async () => {
      expect(await store.nodeSlots('nobody')).toEqual({ capacity: 0, reserved: 0, busy: 0, free: 0 });
      expect(await store.reserveSlot('nobody', 's1', LONG_TTL_MS)).toBeNull();
      expect(await store.activateSession('nobody', 's1')).toBe(false);
      expect(await store.releaseSlot('nobody', 's1')).toBe(false);
    });
  });

  describe('sessions', () => {
    it('stores a session and returns it', async () => {
      const session = sessionRecord();
      await store.putSession(session, LONG_TTL_MS);
      expect(await store.getSession(session.sessionId)).toEqual(session);
      expect(await store.getSession('unknown')).toBeNull();
    });

    it('applies a transition only from the allowed states', async () => {
      const session = sessionRecord();
      await store.putSession(session, LONG_TTL_MS);

      const active = await store.transitionSession(session.sessionId, ['reserved'], { state: 'active', startedAt: 1_700_000_010_000 });
      expect(active).toEqual({ ...session, state: 'active', startedAt: 1_700_000_010_000 });
      expect(await store.transitionSession(session.sessionId, ['reserved'], { state: 'active' })).toBeNull();

      const usage = { startedAt: 1_700_000_010_000, endedAt: 1_700_000_070_000, framesSent: 3600, bytesSent: 12_345_678, width: 1280, height: 720 };
      const ended = await store.transitionSession(session.sessionId, ['reserved', 'active'], {
        state: 'ended',
        endedAt: usage.endedAt,
        endReason: 'player_left',
        usage,
      });
      expect(ended).toEqual({ ...session, state: 'ended', startedAt: usage.startedAt, endedAt: usage.endedAt, endReason: 'player_left', usage });
      expect(await store.getSession(session.sessionId)).toEqual(ended);
      expect(await store.transitionSession('unknown', ['reserved'], { state: 'active' })).toBeNull();
    });

    it('forgets a session after its TTL', async () => {
      const session = sessionRecord();
      await store.putSession(session, 100);
      await pollUntil(() => store.getSession(session.sessionId), (found) => found === null);
    });
  });
});

describe('RedisStore.connect', () => {
  it('fails at start when no server answers, rather than on first use', async () => {
    await expect(RedisStore.connect('redis://127.0.0.1:1')).rejects.toThrow();
  });
});
