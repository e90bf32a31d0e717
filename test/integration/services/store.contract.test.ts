/**
 * One contract for every Store backend: the embedded in-process store, Redis and Redis Cluster
 * (a real redis-server and a real 3-master cluster started for this file) must behave the same.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { cellToLatLng, gridDisk } from 'h3-js';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GeoPoint } from '../../../protocol/http.js';
import { indexCells, isSearchedCell, searchStep } from '../../../services/matchmaker/cell-index.js';
import { distanceKm } from '../../../services/matchmaker/great-circle.js';
import { RedisStore } from '../../../services/store/redis-store.js';
import { DEFAULT_NODE_REPUTATION, type NearbyQuery, type NodeRecord, type PlacementRecord, type SessionRecord, type Store } from '../../../services/store/store.js';
import { openStore, useBackends, type StoreOption, type StoreTuning } from './helpers/backends.js';
import { pollUntil } from './helpers/poll.js';

interface OpenBackend {
  store: Store;
  /** Independent handles on the same data (separate connections for Redis), for races. */
  handles: Store[];
  close(): Promise<void>;
}

const servers = useBackends(['memory', 'redis', 'redis-cluster']);

async function openHandles(option: StoreOption, tuning: StoreTuning = {}): Promise<OpenBackend> {
  if (option === 'memory') {
    const store = await openStore(option);
    return { store, handles: [store], close: () => store.close() };
  }
  const handles = await Promise.all([0, 1, 2, 3].map(() => openStore(option, tuning)));
  return {
    store: handles[0]!,
    handles,
    close: async () => {
      await Promise.all(handles.map((handle) => handle.close()));
    },
  };
}

const backends = [
  ...servers.map((backend) => ({ name: backend.name, open: () => openHandles(backend.store()) })),
  // Searches read each handle's index replica instead of Redis.
  ...servers
    .filter((backend) => backend.name !== 'memory')
    .map((backend) => ({ name: `${backend.name} (index replica)`, open: () => openHandles(backend.store(), { replicateIndex: true }) })),
];

const LONG_TTL_MS = 60_000;
const BUILD = 'b'.repeat(64);

/** Cells covering `radiusKm` around `center` (a search step), at most `perCellLimit` from each. */
function near(center: GeoPoint, radiusKm: number, perCellLimit = 100): NearbyQuery {
  return { cells: searchStep(center, radiusKm).cells, center, radiusKm, perCellLimit, buildId: BUILD, equivalentKm: 0 };
}

/** `km` east of `from` (along its parallel, close enough at these distances). */
function east(from: GeoPoint, km: number): GeoPoint {
  return { lat: from.lat, lng: from.lng + km / (111.32 * Math.cos((from.lat * Math.PI) / 180)) };
}

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
      expect(await store.getNode(node.nodeId)).toEqual({ ...node, reputation: DEFAULT_NODE_REPUTATION });
      expect((await store.listNodes()).map((listed) => listed.nodeId)).toContain(node.nodeId);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 3, reserved: 0, busy: 0, free: 3 });
    });

    it('refreshes a live node on re-registration and keeps its slot accounting', async () => {
      const node = nodeRecord();
      await store.upsertNode(node, LONG_TTL_MS);
      expect(await store.reserveSlot(node.nodeId, 's1', LONG_TTL_MS)).not.toBeNull();

      const renamed = { ...node, name: 'rig-renamed', slots: 4, builds: ['c'.repeat(64)] };
      expect(await store.upsertNode(renamed, LONG_TTL_MS)).toBe('refreshed');
      expect(await store.getNode(node.nodeId)).toEqual({ ...renamed, reputation: DEFAULT_NODE_REPUTATION });
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 4, reserved: 1, busy: 0, free: 3 });
    });

    it('refuses to hand a live node to another operator', async () => {
      const node = nodeRecord();
      await store.upsertNode(node, LONG_TTL_MS);
      expect(await store.upsertNode({ ...node, operatorId: 'operator-b', signallingUrl: 'http://evil/' }, LONG_TTL_MS)).toBe(
        'operator_mismatch',
      );
      expect(await store.getNode(node.nodeId)).toEqual({ ...node, reputation: DEFAULT_NODE_REPUTATION });
    });

    it('forgets a node that is not refreshed within its TTL, with its slots and heartbeat sequence', async () => {
      const node = nodeRecord();
      await store.upsertNode(node, LONG_TTL_MS);
      expect(await store.acceptHeartbeat(node.nodeId, 5, node.lastHeartbeatAt, 150)).toBe('accepted');
      await store.reserveSlot(node.nodeId, 's1', LONG_TTL_MS);

      await pollUntil(() => store.getNode(node.nodeId), (found) => found === null);
      expect((await store.listNodes()).map((listed) => listed.nodeId)).not.toContain(node.nodeId);
      expect(await store.nodeSummaries([node.nodeId], BUILD)).toEqual([null]);
      // The index may still name it, with no summary, until a reader that found it expired drops the entry.
      const stale = (await store.nearbyNodes(near(node.location, 50))).nodes;
      expect(stale.filter((found) => found.nodeId === node.nodeId && found.summary !== null)).toEqual([]);
      await store.unindexNodes(stale);
      expect((await store.nearbyNodes(near(node.location, 50))).nodes.map((found) => found.nodeId)).not.toContain(node.nodeId);
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
      const found = (await store.nearbyNodes(near(node.location, 20))).nodes.find((entry) => entry.nodeId === node.nodeId);
      expect(found?.summary?.nodeId).toBe(node.nodeId);
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

  describe("squaring the books with a node's running sessions", () => {
    it('turns a reservation the node runs into a busy slot and leaves one it does not run yet to lapse', async () => {
      const node = nodeRecord({ slots: 3 });
      await store.upsertNode(node, LONG_TTL_MS);
      await store.reserveSlot(node.nodeId, 'joined', LONG_TTL_MS);
      await store.reserveSlot(node.nodeId, 'joining', LONG_TTL_MS);
      expect(await store.reconcileNodeSessions(node.nodeId, ['joined'], false)).toEqual({ released: [], unknown: [] });
      expect(await store.reconcileNodeSessions(node.nodeId, ['joined'], true)).toEqual({ released: [], unknown: [] });
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 3, reserved: 1, busy: 1, free: 1 });
    });

    it('releases a busy session only when two reports in a row leave it out, or a registration does', async () => {
      const node = nodeRecord({ slots: 3 });
      await store.upsertNode(node, LONG_TTL_MS);
      for (const sessionId of ['s1', 's2', 's3']) {
        await store.reserveSlot(node.nodeId, sessionId, LONG_TTL_MS);
        await store.activateSession(node.nodeId, sessionId);
      }
      expect(await store.reconcileNodeSessions(node.nodeId, ['s2', 's3'], false)).toEqual({ released: [], unknown: [] });
      // s1 is back: a report that left it out once does not count against it later.
      expect(await store.reconcileNodeSessions(node.nodeId, ['s1', 's3'], false)).toEqual({ released: [], unknown: [] });
      expect(await store.reconcileNodeSessions(node.nodeId, ['s1', 's3'], false)).toEqual({ released: ['s2'], unknown: [] });
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 3, reserved: 0, busy: 2, free: 1 });
      expect(await store.reconcileNodeSessions(node.nodeId, ['s3'], true)).toEqual({ released: ['s1'], unknown: [] });
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 3, reserved: 0, busy: 1, free: 2 });
      expect(await store.releaseSlot(node.nodeId, 's1')).toBe(false);
    });

    it('names the sessions it has no slot for, and adopts them as busy even beyond capacity', async () => {
      const node = nodeRecord({ slots: 1 });
      await store.upsertNode(node, LONG_TTL_MS);
      expect(await store.reserveSlot(node.nodeId, 'lapsing', 100)).not.toBeNull();
      await pollUntil(() => store.nodeSlots(node.nodeId), (slots) => slots.free === 1);
      await store.reserveSlot(node.nodeId, 'placed', LONG_TTL_MS);
      expect(await store.reconcileNodeSessions(node.nodeId, ['lapsing', 'forgotten'], false)).toEqual({ released: [], unknown: ['lapsing', 'forgotten'] });
      await store.adoptSessions(node.nodeId, ['lapsing']);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 2, reserved: 1, busy: 1, free: 0 });
      expect(await store.reconcileNodeSessions(node.nodeId, ['lapsing', 'placed'], false)).toEqual({ released: [], unknown: [] });
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 2, reserved: 0, busy: 2, free: 0 });
      expect((await store.nodeSummaries([node.nodeId], BUILD))[0]?.slots).toEqual({ capacity: 2, reserved: 0, busy: 2, free: 0 });
    });

    it('does nothing for a node that is not live', async () => {
      expect(await store.reconcileNodeSessions('nobody', ['s1'], true)).toEqual({ released: [], unknown: [] });
      await store.adoptSessions('nobody', ['s1']);
      expect(await store.nodeSlots('nobody')).toEqual({ capacity: 0, reserved: 0, busy: 0, free: 0 });
    });

    it('hands out the sessions booked on a node that expired, once', async () => {
      const node = nodeRecord({ slots: 3 });
      await store.upsertNode(node, LONG_TTL_MS);
      await store.reserveSlot(node.nodeId, 'busy', LONG_TTL_MS);
      await store.activateSession(node.nodeId, 'busy');
      await store.reserveSlot(node.nodeId, 'reserved', LONG_TTL_MS);
      await store.reserveSlot(node.nodeId, 'released', LONG_TTL_MS);
      await store.releaseSlot(node.nodeId, 'released');
      expect(await store.takeOrphanedSessions()).toEqual([]);

      expect(await store.acceptHeartbeat(node.nodeId, 1, node.lastHeartbeatAt, 150)).toBe('accepted');
      await pollUntil(() => store.getNode(node.nodeId), (found) => found === null);
      const orphans = await store.takeOrphanedSessions();
      expect(orphans.map((orphan) => ({ ...orphan, sessionIds: orphan.sessionIds.sort() }))).toEqual([{ nodeId: node.nodeId, sessionIds: ['busy', 'reserved'] }]);
      expect(await store.takeOrphanedSessions()).toEqual([]);
    });

    it('squares what was booked before on a node that expired and registered again', async () => {
      const node = nodeRecord({ slots: 2 });
      await store.upsertNode(node, LONG_TTL_MS);
      for (const sessionId of ['gone', 'running']) {
        await store.reserveSlot(node.nodeId, sessionId, LONG_TTL_MS);
        await store.activateSession(node.nodeId, sessionId);
      }
      expect(await store.acceptHeartbeat(node.nodeId, 1, node.lastHeartbeatAt, 150)).toBe('accepted');
      await pollUntil(() => store.getNode(node.nodeId), (found) => found === null);

      expect(await store.upsertNode(node, LONG_TTL_MS)).toBe('created');
      expect(await store.reconcileNodeSessions(node.nodeId, ['running'], true)).toEqual({ released: ['gone'], unknown: ['running'] });
      await store.adoptSessions(node.nodeId, ['running']);
      expect(await store.nodeSlots(node.nodeId)).toEqual({ capacity: 2, reserved: 0, busy: 1, free: 1 });
      expect(await store.takeOrphanedSessions()).toEqual([]);
    });
  });

  describe('reputation', () => {
    it('starts every node at the default, is set by the control plane only, and outlives the registration', async () => {
      const node = nodeRecord();
      await store.upsertNode(node, 150);
      expect((await store.getNode(node.nodeId))?.reputation).toBe(DEFAULT_NODE_REPUTATION);
      await store.setNodeReputation(node.nodeId, 0.25);
      expect((await store.getNode(node.nodeId))?.reputation).toBe(0.25);
      expect((await store.nodeSummaries([node.nodeId], BUILD))[0]?.reputation).toBe(0.25);

      await pollUntil(() => store.getNode(node.nodeId), (found) => found === null);
      expect(await store.upsertNode(node, LONG_TTL_MS)).toBe('created');
      expect((await store.getNode(node.nodeId))?.reputation).toBe(0.25);
    });
  });

  describe('cell index', () => {
    const paris = { lat: 48.8566, lng: 2.3522 };

    it('registers many nodes at once', async () => {
      const nodes = Array.from({ length: 40 }, (_, i) => nodeRecord({ location: east(paris, i) }));
      expect(await store.upsertNodes(nodes, LONG_TTL_MS)).toEqual(Array(40).fill('created'));
      expect(await store.upsertNodes([nodes[0]!, { ...nodes[1]!, operatorId: 'intruder' }], LONG_TTL_MS)).toEqual(['refreshed', 'operator_mismatch']);
      const found = await store.nearbyNodes(near(paris, 45));
      expect(found.nodes.map((node) => node.nodeId).sort()).toEqual(nodes.map((node) => node.nodeId).sort());
    });

    it('finds the nodes within the radius in the cells asked, nearest first, with their distances', async () => {
      const [here, five, thirty, farther] = [0, 5, 30, 200].map((km) => nodeRecord({ location: east(paris, km) }));
      const tokyo = nodeRecord({ location: { lat: 35.68, lng: 139.69 } });
      await store.upsertNodes([farther!, tokyo, thirty!, here!, five!], LONG_TTL_MS);

      const found = await store.nearbyNodes(near(paris, 50));
      expect(found.nodes.map((node) => node.nodeId)).toEqual([here!.nodeId, five!.nodeId, thirty!.nodeId]);
      found.nodes.forEach((node, i) => expect(node.distanceKm).toBeCloseTo([0, 5, 30][i]!, 0));
      expect(found.completeKm).toBe(50);
      const query = near(paris, 50);
      expect(query.cells).toContain(found.nodes[0]!.cell);
      expect((await store.nearbyNodes({ ...near(paris, 50), cells: [] })).nodes).toEqual([]);
    });

    it('gives each cell at most its nearest few, and says how far the answer is complete', async () => {
      const nodes = [1, 2, 3, 4, 5].map((km) => nodeRecord({ location: east(paris, km) }));
      await store.upsertNodes(nodes, LONG_TTL_MS);
      const cell = indexCells(paris)[1]!;
      expect(indexCells(nodes[4]!.location)[1]).toBe(cell);

      const capped = await store.nearbyNodes({ cells: [cell], center: paris, radiusKm: 10, perCellLimit: 2, buildId: BUILD, equivalentKm: 0 });
      expect(capped.nodes.map((node) => node.nodeId)).toEqual([nodes[0]!.nodeId, nodes[1]!.nodeId]);
      expect(capped.completeKm).toBeCloseTo(2, 0);
      const whole = await store.nearbyNodes({ cells: [cell], center: paris, radiusKm: 10, perCellLimit: 10, buildId: BUILD, equivalentKm: 0 });
      expect(whole.nodes).toHaveLength(5);
      expect(whole.completeKm).toBe(10);
    });

    it('over several cells, returns every node nearer than the distance it says its answer is complete to', async () => {
      // Two neighbouring cells, each with five nodes about its centre, and a player between them:
      // the nodes' distances interleave, so neither cell's nearest few are the nearest of all.
      const cellA = indexCells(paris)[0]!;
      const cellB = gridDisk(cellA, 1).find((cell) => cell !== cellA)!;
      const [a, b] = [cellA, cellB].map((cell) => {
        const [lat, lng] = cellToLatLng(cell);
        return { lat, lng };
      });
      const between = { lat: (a!.lat + b!.lat) / 2, lng: (a!.lng + b!.lng) / 2 };
      const nodes = [a!, b!].flatMap((centre, side) => [0, 2, 4, 6, 8].map((km) => nodeRecord({ location: east(centre, side === 0 ? km : -km - 1) })));
      for (const [i, node] of nodes.entries()) expect(indexCells(node.location)[0]).toBe(i < 5 ? cellA : cellB);
      await store.upsertNodes(nodes, LONG_TTL_MS);

      const found = await store.nearbyNodes({ cells: [cellA, cellB], center: between, radiusKm: 300, perCellLimit: 3, buildId: BUILD, equivalentKm: 0 });
      const returned = new Set(found.nodes.map((node) => node.nodeId));
      expect(found.nodes.length).toBeGreaterThanOrEqual(3);
      expect(found.nodes.length).toBeLessThanOrEqual(6);
      expect(found.completeKm).toBeLessThan(300);
      const distances = found.nodes.map((node) => node.distanceKm);
      expect(distances).toEqual([...distances].sort((x, y) => x - y));
      for (const node of nodes) {
        if (distanceKm(between, node.location) < found.completeKm - 0.1) expect(returned).toContain(node.nodeId);
      }
    });

    it('may hand out any of the nodes within the equivalent distance, where a cell holds enough of them', async () => {
      const crowd = Array.from({ length: 6 }, () => nodeRecord({ location: paris }));
      const farther = nodeRecord({ location: east(paris, 3) });
      await store.upsertNodes([...crowd, farther], LONG_TTL_MS);
      const cell = indexCells(paris)[1]!;
      const some = await store.nearbyNodes({ cells: [cell], center: paris, radiusKm: 10, perCellLimit: 3, buildId: BUILD, equivalentKm: 1 });
      expect(some.nodes).toHaveLength(3);
      expect(some.nodes.every((node) => crowd.some((record) => record.nodeId === node.nodeId))).toBe(true);
      expect(some.completeKm).toBeLessThanOrEqual(1);
      const all = await store.nearbyNodes({ cells: [cell], center: paris, radiusKm: 10, perCellLimit: 10, buildId: BUILD, equivalentKm: 1 });
      expect(all.nodes.map((node) => node.nodeId).at(-1)).toBe(farther.nodeId);
      expect(all.completeKm).toBe(10);
    });

    it('with an equivalent ratio, returns every node well within its answer and any of a crowd at its edge', async () => {
      const near = [east(paris, 2), east(paris, 5)].map((location) => nodeRecord({ location }));
      // One crowd on one point, as geoip puts a city's nodes, 60 km out.
      const crowd = Array.from({ length: 12 }, () => nodeRecord({ location: east(paris, 60) }));
      await store.upsertNodes([...near, ...crowd], LONG_TTL_MS);
      const cell = indexCells(paris)[1]!;
      expect(indexCells(crowd[0]!.location)[1]).toBe(cell);
      const query = { cells: [cell], center: paris, radiusKm: 200, perCellLimit: 6, buildId: BUILD, equivalentKm: 0 };

      const banded = await store.nearbyNodes({ ...query, equivalentRatio: 1.25 });
      expect(banded.nodes).toHaveLength(6);
      expect(banded.nodes.slice(0, 2).map((node) => node.nodeId)).toEqual(near.map((record) => record.nodeId));
      expect(banded.completeKm).toBeGreaterThanOrEqual(59);
      expect(banded.completeKm).toBeLessThanOrEqual(60 * 1.25 + 1);
      expect(banded.nodes.every((node) => node.distanceKm <= banded.completeKm)).toBe(true);

      const exact = await store.nearbyNodes(query);
      expect(exact.nodes.slice(0, 2).map((node) => node.nodeId)).toEqual(near.map((record) => record.nodeId));
      expect(exact.completeKm).toBeCloseTo(60, 0);
    });

    it('counts the nodes of each cell, and moves a node that registers elsewhere', async () => {
      const node = nodeRecord({ location: paris });
      await store.upsertNodes([node, nodeRecord({ location: east(paris, 1) })], LONG_TTL_MS);
      const parisCells = indexCells(paris);
      expect(await store.indexedNodeCounts(parisCells)).toEqual([2, 2, 2]);

      const madrid = { lat: 40.4168, lng: -3.7038 };
      expect(await store.upsertNode({ ...node, location: madrid }, LONG_TTL_MS)).toBe('refreshed');
      expect((await store.nearbyNodes(near(paris, 50))).nodes.map((found) => found.nodeId)).not.toContain(node.nodeId);
      expect((await store.nearbyNodes(near(madrid, 50))).nodes.map((found) => found.nodeId)).toEqual([node.nodeId]);
      expect(await store.indexedNodeCounts(parisCells)).toEqual([1, 1, 1]);
    });

    it('finds nodes with the summary a search needs, following their slots and reputation', async () => {
      const node = nodeRecord({ location: paris, slots: 2, builds: [BUILD] });
      await store.upsertNode(node, LONG_TTL_MS);
      const summary = async (buildId = BUILD) => (await store.nearbyNodes({ ...near(paris, 20), buildId })).nodes.find((found) => found.nodeId === node.nodeId)?.summary;
      expect(await summary()).toEqual((await store.nodeSummaries([node.nodeId], BUILD))[0]);
      expect(await summary('c'.repeat(64))).toMatchObject({ buildCached: false });

      await store.reserveSlot(node.nodeId, 's1', LONG_TTL_MS);
      await store.reserveSlot(node.nodeId, 's2', LONG_TTL_MS);
      await store.activateSession(node.nodeId, 's2');
      expect((await summary())?.slots).toEqual({ capacity: 2, reserved: 1, busy: 1, free: 0 });
      await store.releaseSlot(node.nodeId, 's2');
      await store.setNodeReputation(node.nodeId, 0.5);
      expect(await summary()).toMatchObject({ slots: { capacity: 2, reserved: 1, busy: 0, free: 1 }, reputation: 0.5, buildCached: true });
      await store.reserveSlot(node.nodeId, 'lapsing', 50);
      await pollUntil(summary, (found) => found?.slots.free === 1);
    });

    it('summarises nodes for placement: live slots, cached build, reputation; null for the unknown', async () => {
      const node = nodeRecord({ slots: 3, builds: [BUILD], gpu: { model: 'RTX 4090', vramMb: 24_576 }, encoders: ['h264', 'av1'] });
      await store.upsertNode(node, LONG_TTL_MS);
      await store.reserveSlot(node.nodeId, 's1', LONG_TTL_MS);
      await store.reserveSlot(node.nodeId, 's2', LONG_TTL_MS);
      await store.activateSession(node.nodeId, 's2');
      await store.reserveSlot(node.nodeId, 'lapsing', 50);

      const second = nodeRecord({ slots: 5 });
      await store.upsertNode(second, LONG_TTL_MS);

      // Answers come in the order asked, an unknown node's among them.
      const [summary, unknown, other] = await store.nodeSummaries([node.nodeId, 'nobody', second.nodeId], 'c'.repeat(64));
      expect(unknown).toBeNull();
      expect(other).toMatchObject({ nodeId: second.nodeId, buildCached: false, slots: { capacity: 5, free: 5 } });
      await pollUntil(() => store.nodeSummaries([node.nodeId], BUILD), ([live]) => live?.slots.reserved === 1);
      expect((await store.nodeSummaries([node.nodeId], BUILD))[0]).toEqual({
        nodeId: node.nodeId,
        location: node.location,
        gpuModel: 'RTX 4090',
        vramMb: 24_576,
        encoders: ['h264', 'av1'],
        pricePerHour: node.pricePerHour,
        reputation: DEFAULT_NODE_REPUTATION,
        signallingUrl: node.signallingUrl,
        slots: { capacity: 3, reserved: 1, busy: 1, free: 1 },
        buildCached: true,
      });
      expect(summary?.slots.capacity).toBe(3);
    });
  });

  describe('placements', () => {
    function placementRecord(overrides: Partial<PlacementRecord> = {}): PlacementRecord {
      return {
        placementId: `pl${randomUUID().replaceAll('-', '')}`,
        playerId: 'p0',
        gameId: 'demo-arena',
        location: { lat: 48.85, lng: 2.35 },
        candidates: [{ nodeId: 'na', probeUrl: 'http://a/probe', distanceKm: 1.5, estimatedRttMs: 12.4 }],
        state: 'offered',
        createdAt: 1_700_000_000_000,
        expiresAt: 1_700_000_030_000,
        ...overrides,
      };
    }

    it('stores a placement and moves it only from the allowed states', async () => {
      const placement = placementRecord();
      await store.putPlacement(placement, LONG_TTL_MS);
      expect(await store.getPlacement(placement.placementId)).toEqual(placement);
      expect(await store.getPlacement('plnothing')).toBeNull();

      const rtts = { na: 12.25, nb: null };
      const choosing = await store.transitionPlacement(placement.placementId, ['offered'], { state: 'choosing', rtts });
      expect(choosing).toEqual({ ...placement, state: 'choosing', rtts });
      expect(await store.transitionPlacement(placement.placementId, ['offered'], { state: 'choosing' })).toBeNull();
      const queued = await store.transitionPlacement(placement.placementId, ['choosing'], { state: 'queued', queue: 'q1' });
      expect(queued).toEqual({ ...placement, state: 'queued', rtts, queue: 'q1' });
      expect(await store.getPlacement(placement.placementId)).toEqual(queued);
      expect(await store.transitionPlacement('plnothing', ['offered'], { state: 'cancelled' })).toBeNull();
    });

    it('forgets a placement after its TTL unless a transition restarts it', async () => {
      const lapsing = placementRecord();
      const kept = placementRecord();
      await store.putPlacement(lapsing, 100);
      await store.putPlacement(kept, 300);
      expect(await store.transitionPlacement(kept.placementId, ['offered'], { state: 'queued' }, LONG_TTL_MS)).not.toBeNull();
      await pollUntil(() => store.getPlacement(lapsing.placementId), (found) => found === null);
      await sleep(400);
      expect(await store.getPlacement(kept.placementId)).toMatchObject({ state: 'queued' });
    });

    it('lets one placement at a time claim a player, however many ask at once', async () => {
      const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => open.handles[i % open.handles.length]!.claimPlayer('p1', `pl${i}`, LONG_TTL_MS)));
      const winners = claims.map((holder, i) => (holder === null ? `pl${i}` : undefined)).filter((id) => id !== undefined);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      expect(new Set(claims.filter((holder) => holder !== null))).toEqual(new Set([winner]));

      expect(await store.claimPlayer('p1', winner, LONG_TTL_MS)).toBeNull();
      await store.releasePlayer('p1', 'plsomeoneelse');
      expect(await store.claimPlayer('p1', 'plnext', LONG_TTL_MS)).toBe(winner);
      await store.releasePlayer('p1', winner);
      expect(await store.claimPlayer('p1', 'plnext', 100)).toBeNull();
      await pollUntil(() => store.claimPlayer('p1', 'plafter', LONG_TTL_MS), (holder) => holder === null);
    });
  });

  describe('queues', () => {
    it('keeps arrival order and gives each player their place', async () => {
      const ids = ['pla', 'plb', 'plc'];
      for (const [i, id] of ids.entries()) expect(await store.enqueue('q', id, LONG_TTL_MS, 10)).toMatchObject({ position: i + 1, length: i + 1 });
      expect(await store.enqueue('q', 'pla', LONG_TTL_MS, 10)).toMatchObject({ position: 1, length: 3 });
      expect(await store.queueStanding('q', 'plb', LONG_TTL_MS)).toEqual({ position: 2, length: 3, meanDepartureIntervalMs: null });
      expect(await store.queueStanding('q', 'plnobody', LONG_TTL_MS)).toBeNull();
      expect(await store.queueStanding('other', 'plb', LONG_TTL_MS)).toBeNull();

      await store.dequeue('q', 'pla');
      expect(await store.queueStanding('q', 'plc', LONG_TTL_MS)).toMatchObject({ position: 2, length: 2 });
      await store.dequeue('q', 'plb');
      const standing = await store.queueStanding('q', 'plc', LONG_TTL_MS);
      expect(standing).toMatchObject({ position: 1, length: 1 });
      expect(standing?.meanDepartureIntervalMs).toBeGreaterThanOrEqual(0);
      expect(await store.queueLength('q')).toBe(1);
    });

    it('turns newcomers away when full', async () => {
      expect(await store.enqueue('q', 'pla', LONG_TTL_MS, 2)).not.toBeNull();
      expect(await store.enqueue('q', 'plb', LONG_TTL_MS, 2)).not.toBeNull();
      expect(await store.enqueue('q', 'plc', LONG_TTL_MS, 2)).toBeNull();
      expect(await store.enqueue('q', 'plb', LONG_TTL_MS, 2)).toMatchObject({ position: 2 });
      await store.dequeue('q', 'pla');
      expect(await store.enqueue('q', 'plc', LONG_TTL_MS, 2)).toMatchObject({ position: 2, length: 2 });
    });

    it('learns the departure interval from every departure, lapses included, but not from idle spells', async () => {
      await store.enqueue('q', 'pla', LONG_TTL_MS, 10);
      await sleep(200);
      await store.dequeue('q', 'pla');
      // Idle: nobody waits, so no departure is overdue.
      await sleep(1_000);
      await store.enqueue('q', 'plb', 150, 10);
      await pollUntil(() => store.queueLength('q'), (length) => length === 0);
      const standing = await store.enqueue('q', 'plc', LONG_TTL_MS, 10);
      // Two gaps of about 200 ms and 150 ms; counting the idle second would make the mean over 450 ms.
      expect(standing?.meanDepartureIntervalMs).toBeGreaterThan(100);
      expect(standing?.meanDepartureIntervalMs).toBeLessThan(400);
    });

    it('drops a player who stops refreshing their place', async () => {
      await store.enqueue('q', 'plgone', 150, 10);
      await store.enqueue('q', 'plstays', LONG_TTL_MS, 10);
      await pollUntil(() => store.queueLength('q'), (length) => length === 1);
      expect(await store.queueStanding('q', 'plgone', LONG_TTL_MS)).toBeNull();
      expect(await store.queueStanding('q', 'plstays', LONG_TTL_MS)).toMatchObject({ position: 1, length: 1 });
    });

    it('gives players joining at once distinct places', async () => {
      const standings = await Promise.all(Array.from({ length: 30 }, (_, i) => open.handles[i % open.handles.length]!.enqueue('q', `pl${i}`, LONG_TTL_MS, 100)));
      expect(standings.map((standing) => standing?.position).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
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

describe('RedisStore cell index', () => {
  it('puts a live node that lost its index entry back on a heartbeat', async () => {
    const redis = servers.find((backend) => backend.name === 'redis')!;
    const store = await openStore(redis.store(), { cellIndexRefreshMs: 100 });
    try {
      const node = nodeRecord();
      await store.upsertNode(node, LONG_TTL_MS);
      const found = async () => (await store.nearbyNodes(near(node.location, 20))).nodes.map((entry) => entry.nodeId);
      await store.unindexNodes((await store.nearbyNodes(near(node.location, 20))).nodes);
      expect(await found()).toEqual([]);
      let seq = 0;
      await pollUntil(
        async () => {
          expect(await store.acceptHeartbeat(node.nodeId, ++seq, Date.now(), LONG_TTL_MS)).toBe('accepted');
          return found();
        },
        (ids) => ids.includes(node.nodeId),
      );
    } finally {
      await store.close();
    }
  });
});

describe('RedisStore cell index entries', () => {
  it('leaves no entry behind in a cell that dropped the node while a reservation rewrote it', async () => {
    const option = servers.find((backend) => backend.name === 'redis')!.store();
    if (option === 'memory' || !('redisUrl' in option)) throw new Error('expected a redis-server option');
    const store = await openStore(option);
    const raw = new Redis(option.redisUrl);
    try {
      const node = nodeRecord();
      await store.upsertNode(node, LONG_TTL_MS);
      const cells = indexCells(node.location).filter(isSearchedCell);
      const entries = () => Promise.all(cells.map((cell) => raw.hexists(`${option.keyPrefix}{cell:${cell}}:entries`, node.nodeId)));
      expect(await entries()).toEqual(cells.map(() => 1));

      // A reader dropped it as lapsed, say, just before a reservation's rewrite of its entry.
      await store.unindexNodes(cells.map((cell) => ({ nodeId: node.nodeId, cell })));
      expect(await store.reserveSlot(node.nodeId, 'sorphan', 60_000)).not.toBeNull();
      expect(await entries()).toEqual(cells.map(() => 0));
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});

describe.each(servers.filter((backend) => backend.name !== 'memory'))('RedisStore index replica on $name', (backend) => {
  const opened: Store[] = [];
  const open = async (tuning: StoreTuning = { replicateIndex: true }) => {
    const store = await openStore(option, tuning);
    opened.push(store);
    return store;
  };
  let option: StoreOption;
  const ids = async (store: Store, center: GeoPoint) => (await store.nearbyNodes(near(center, 20))).nodes.map((found) => found.nodeId);
  const paris = { lat: 48.85, lng: 2.35 };

  beforeEach(() => {
    option = backend.store();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it("hears another instance's registrations and reservations", async () => {
    const [replica, other] = [await open(), await open({})];
    const node = nodeRecord({ location: paris });
    await other.upsertNode(node, LONG_TTL_MS);
    await pollUntil(() => ids(replica, paris), (found) => found.includes(node.nodeId));

    expect(await other.reserveSlot(node.nodeId, 'shere', LONG_TTL_MS)).not.toBeNull();
    const slots = async () => (await replica.nearbyNodes(near(paris, 20))).nodes.find((found) => found.nodeId === node.nodeId)?.summary?.slots;
    await pollUntil(slots, (counts) => counts?.reserved === 1);
    expect(await slots()).toEqual({ capacity: 3, reserved: 1, busy: 0, free: 2 });
  });

  it('loads the nodes registered before it connected', async () => {
    const nodes = [nodeRecord({ location: paris }), nodeRecord({ location: east(paris, 5) })];
    await (await open({})).upsertNodes(nodes, LONG_TTL_MS);
    const replica = await open();
    expect((await ids(replica, paris)).sort()).toEqual(nodes.map((node) => node.nodeId).sort());
    expect(await replica.indexedNodeCounts(indexCells(paris))).toEqual([2, 2, 2]);
  });

  it('drops nodes that lapsed long ago, from itself and from the index in Redis', async () => {
    const replica = await open({ replicateIndex: true, replicaSweepMs: 100 });
    const node = nodeRecord({ location: paris });
    await replica.upsertNode(node, 100);
    const reader = await open({});
    await pollUntil(() => reader.indexedNodeCounts(indexCells(paris).filter(isSearchedCell)), (counts) => counts.every((count) => count === 0));
    expect(await ids(replica, paris)).toEqual([]);
    expect(await replica.indexedNodeCounts(indexCells(paris))).toEqual([0, 0, 0]);
  });
});

describe('RedisStore index replica', () => {
  it('loads itself again after its subscription reconnects, with what it missed meanwhile', async () => {
    const paris = { lat: 48.85, lng: 2.35 };
    const option = servers.find((backend) => backend.name === 'redis')!.store();
    if (option === 'memory' || !('redisUrl' in option)) throw new Error('expected a redis-server option');
    const [replica, other] = await Promise.all([openStore(option, { replicateIndex: true }), openStore(option)]);
    const raw = new Redis(option.redisUrl);
    try {
      // Both nodes register while the subscription is down: no message tells of them.
      await raw.client('KILL', 'TYPE', 'pubsub');
      const nodes = [nodeRecord({ location: paris }), nodeRecord({ location: east(paris, 5) })];
      await other.upsertNodes(nodes, LONG_TTL_MS);
      await pollUntil(async () => (await replica.nearbyNodes(near(paris, 20))).nodes.length, (count) => count === 2);
    } finally {
      raw.disconnect();
      await Promise.all([replica.close(), other.close()]);
    }
  });
});

describe('RedisStore.connect', () => {
  it('fails at start when no server answers, rather than on first use', async () => {
    await expect(RedisStore.connect('redis://127.0.0.1:1')).rejects.toThrow();
  });
});
