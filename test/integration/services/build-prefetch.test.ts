/**
 * Demand-triggered prefetch over each store backend (in-process, a real redis-server): a build
 * placed often enough in one H3 cell within a window asks the nodes nearest that cell that lack
 * it, once per window; requests are handed out once, per node, and lapse.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GameManifest, GeoPoint } from '../../../protocol/http.js';
import { BuildPrefetch, DEFAULT_PREFETCH_POLICY, type PrefetchPolicy } from '../../../services/builds/build-prefetch.js';
import { MemoryPrefetchStore, type PrefetchStore } from '../../../services/builds/prefetch-store.js';
import { RedisPrefetchStore } from '../../../services/builds/redis-prefetch-store.js';
import { findCandidates } from '../../../services/matchmaker/candidate-search.js';
import { RedisStore } from '../../../services/store/redis-store.js';
import type { NodeRecord, Store } from '../../../services/store/store.js';
import { openStore, useBackends } from './helpers/backends.js';

const backends = useBackends(['memory', 'redis']);
const TTL_MS = 60_000;
const MANIFEST: GameManifest = { runtime: 'frames', entry: 'game', width: 640, height: 480, fps: 60, inputs: ['keyboard'] };
const GAME = { buildId: 'b'.repeat(64), manifest: MANIFEST };
const OTHER_GAME = { buildId: 'c'.repeat(64), manifest: MANIFEST };
const PARIS = { lat: 48.8566, lng: 2.3522 };
const LYON = { lat: 45.764, lng: 4.8357 };

function node(name: string, location: GeoPoint, builds: string[] = []): NodeRecord {
  const nodeId = `${name}-${randomUUID().slice(0, 8)}`;
  return {
    nodeId,
    publicKey: 'A'.repeat(43),
    operatorId: 'operator',
    name,
    location,
    gpu: { model: 'RTX 4070', vramMb: 12_288 },
    encoders: ['h264'],
    slots: 2,
    pricePerHour: 0.4,
    signallingUrl: `http://${nodeId}.example/`,
    builds,
    lastHeartbeatAt: 0,
  };
}

describe.each(backends)('build prefetch ($name store)', (backend) => {
  let store: Store;
  let prefetchStore: PrefetchStore;

  const prefetch = ({ now, ...policy }: Partial<PrefetchPolicy> & { now?: () => number } = {}): BuildPrefetch =>
    new BuildPrefetch({
      store: prefetchStore,
      findCandidates: (query) => findCandidates(store, query),
      policy: { ...DEFAULT_PREFETCH_POLICY, popularAfter: 3, nodesNearDemand: 2, ...policy },
      log: pino({ level: 'silent' }),
      now,
    });

  beforeEach(async () => {
    store = await openStore(backend.store());
    prefetchStore = store instanceof RedisStore ? new RedisPrefetchStore(store.client, store.keyPrefix) : new MemoryPrefetchStore();
  });

  afterEach(async () => {
    await store.close();
  });

  it('asks the nodes nearest a cell where a build became popular, once per window, and only those lacking it', async () => {
    const holder = node('holder', { lat: 48.857, lng: 2.353 }, [GAME.buildId]);
    const near = node('near', { lat: 48.86, lng: 2.36 });
    const farther = node('farther', { lat: 48.95, lng: 2.5 });
    const far = node('far', LYON);
    await store.upsertNodes([holder, near, farther, far], TTL_MS);
    const planner = prefetch({ nodesNearDemand: 3 });

    await planner.placed(GAME, PARIS);
    await planner.placed(GAME, PARIS);
    // Other builds, and the same build elsewhere, count on their own.
    await planner.placed(OTHER_GAME, PARIS);
    await planner.placed(GAME, LYON);
    for (const record of [holder, near, farther, far]) expect(await planner.take(record.nodeId)).toEqual([]);

    await planner.placed(GAME, PARIS);
    expect(await planner.take(near.nodeId)).toEqual([GAME.buildId]);
    expect(await planner.take(farther.nodeId)).toEqual([GAME.buildId]);
    // The holder is one of the three nearest and needs nothing; the node in Lyon is not near this demand.
    expect(await planner.take(holder.nodeId)).toEqual([]);
    expect(await planner.take(far.nodeId)).toEqual([]);
    // Handed out once.
    expect(await planner.take(near.nodeId)).toEqual([]);

    await planner.placed(GAME, PARIS);
    expect(await planner.take(near.nodeId)).toEqual([]);
  });

  it('starts counting afresh in the next window', async () => {
    const near = node('near', PARIS);
    await store.upsertNodes([near], TTL_MS);
    let now = 1_000_000;
    const planner = prefetch({ popularAfter: 2, windowMs: 60_000, now: () => now });
    await planner.placed(GAME, PARIS);
    now += 60_000;
    await planner.placed(GAME, PARIS);
    expect(await planner.take(near.nodeId)).toEqual([]);
    await planner.placed(GAME, PARIS);
    expect(await planner.take(near.nodeId)).toEqual([GAME.buildId]);
  });

  it('keeps requests for a node together until it collects them, and lets them lapse', async () => {
    await prefetchStore.addPrefetch('node-1', [GAME.buildId], TTL_MS);
    await prefetchStore.addPrefetch('node-1', [OTHER_GAME.buildId, GAME.buildId], TTL_MS);
    expect(await prefetchStore.pendingNodes()).toEqual(['node-1']);
    expect((await prefetchStore.takePrefetch('node-1')).sort()).toEqual([GAME.buildId, OTHER_GAME.buildId]);
    expect(await prefetchStore.takePrefetch('node-1')).toEqual([]);
    expect(await prefetchStore.pendingNodes()).toEqual([]);
    await prefetchStore.addPrefetch('node-2', [GAME.buildId], 50);
    await sleep(120);
    expect(await prefetchStore.takePrefetch('node-2')).toEqual([]);
  });

  it('hands out requests another instance made once this one reads the list of waiting nodes again', async () => {
    const near = node('near', LYON);
    await store.upsertNodes([near], TTL_MS);
    let now = 1_000_000;
    const here = prefetch({ now: () => now });
    const elsewhere = prefetch();
    expect(await here.take(near.nodeId)).toEqual([]);
    expect(await elsewhere.prefetchNear(GAME, LYON, 1)).toEqual([near.nodeId]);
    // Within a second of its last read this instance does not look: heartbeats cost no store read.
    expect(await here.take(near.nodeId)).toEqual([]);
    now += 1000;
    expect(await here.take(near.nodeId)).toEqual([GAME.buildId]);
    expect(await here.take(near.nodeId)).toEqual([]);
  });

  it('asks any place an admin names', async () => {
    const near = node('near', LYON);
    const holder = node('holder', { lat: 45.77, lng: 4.84 }, [GAME.buildId]);
    await store.upsertNodes([near, holder], TTL_MS);
    expect(await prefetch().prefetchNear(GAME, LYON, 2)).toEqual([near.nodeId]);
    expect(await prefetch().take(near.nodeId)).toEqual([GAME.buildId]);
  });
});
