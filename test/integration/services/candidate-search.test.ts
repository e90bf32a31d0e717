/**
 * The matchmaker's candidate search over each store backend (in-process, Redis, Redis Cluster):
 * nearest first, the game's requirements, rings grown until K nodes are found, and the same
 * answer as checking every node.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GameManifest, GeoPoint } from '../../../protocol/http.js';
import { DEFAULT_EQUIVALENT_KM, DEFAULT_EQUIVALENT_RATIO, findCandidates, type CandidateQuery } from '../../../services/matchmaker/candidate-search.js';
import { CellDensities } from '../../../services/matchmaker/cell-densities.js';
import { distanceKm } from '../../../services/matchmaker/great-circle.js';
import type { NodeRecord, Store } from '../../../services/store/store.js';
import { openStore, useBackends } from './helpers/backends.js';
import { pollUntil } from './helpers/poll.js';

const backends = useBackends(['memory', 'redis', 'redis-cluster']).map((backend) => ({ name: backend.name, open: () => openStore(backend.store()) }));

const TTL_MS = 60_000;
const BUILD = 'd'.repeat(64);
const MANIFEST: GameManifest = { runtime: 'node', entry: 'main.js', width: 1280, height: 720, fps: 60, inputs: ['keyboard'] };
const lyon = { lat: 45.764, lng: 4.8357 };

function node(location: GeoPoint, overrides: Partial<NodeRecord> = {}): NodeRecord {
  const nodeId = `n${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  return {
    nodeId,
    publicKey: 'A'.repeat(43),
    operatorId: 'operator',
    name: nodeId,
    location,
    gpu: { model: 'RTX 4070', vramMb: 12_288 },
    encoders: ['h264'],
    slots: 2,
    pricePerHour: 0.4,
    signallingUrl: `http://${nodeId}.example/`,
    builds: [],
    lastHeartbeatAt: 0,
    ...overrides,
  };
}

/** `km` from `from` at `bearingDeg` (0 north, 90 east), on a sphere. */
function travel(from: GeoPoint, bearingDeg: number, km: number): GeoPoint {
  const toRad = Math.PI / 180;
  const [lat1, lng1, angle, bearing] = [from.lat * toRad, from.lng * toRad, km / 6371.0088, bearingDeg * toRad];
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(angle) + Math.cos(lat1) * Math.sin(angle) * Math.cos(bearing));
  const lng2 = lng1 + Math.atan2(Math.sin(bearing) * Math.sin(angle) * Math.cos(lat1), Math.cos(angle) - Math.sin(lat1) * Math.sin(lat2));
  return { lat: lat2 / toRad, lng: lng2 / toRad };
}

/** Takes every slot of the node. */
async function fill(store: Store, record: NodeRecord): Promise<void> {
  for (let i = 0; i < record.slots; i++) await store.reserveSlot(record.nodeId, `s${i}`, TTL_MS);
}

describe.each(backends)('candidate search ($name store)', (backend) => {
  let store: Store;
  const search = (query: Partial<CandidateQuery> & { location: GeoPoint }) =>
    findCandidates(store, { game: { buildId: BUILD, manifest: MANIFEST }, k: 3, ...query });
  const ids = (nodes: { nodeId: string }[]) => nodes.map((found) => found.nodeId);

  beforeEach(async () => {
    store = await backend.open();
  });

  afterEach(async () => {
    for (const listed of await store.listNodes()) {
      const slots = await store.nodeSlots(listed.nodeId);
      expect(slots.free + slots.reserved + slots.busy).toBe(slots.capacity);
    }
    await store.close();
  });

  it('finds nothing in an empty world, in a bounded number of round trips', async () => {
    const result = await search({ location: lyon });
    expect(result).toMatchObject({ available: [], full: [], examined: 0 });
    expect(result.roundTrips).toBeLessThan(20);
  });

  it('offers the nearest nodes first, with their distances', async () => {
    const nodes = [300, 8, 1, 40, 3].map((km, i) => node(travel(lyon, i * 70, km)));
    await store.upsertNodes(nodes, TTL_MS);
    const result = await search({ location: lyon });
    expect(ids(result.available)).toEqual(ids([nodes[2]!, nodes[4]!, nodes[1]!]));
    expect(result.available.map((found) => Math.round(found.distanceKm))).toEqual([1, 3, 8]);
  });

  it('skips nodes that do not meet the game\'s requirements', async () => {
    const small = node(travel(lyon, 0, 1), { gpu: { model: 'GTX 1650', vramMb: 4_096 } });
    const noAv1 = node(travel(lyon, 90, 2), { encoders: ['h264'] });
    const fit = node(travel(lyon, 180, 30), { gpu: { model: 'RTX 4090', vramMb: 24_576 }, encoders: ['h264', 'av1'] });
    await store.upsertNodes([small, noAv1, fit], TTL_MS);
    const demanding = { ...MANIFEST, requirements: { minVramMb: 8_192, encoders: ['av1'] } };
    const result = await findCandidates(store, { location: lyon, game: { buildId: BUILD, manifest: demanding }, k: 3 });
    expect(ids(result.available)).toEqual([fit.nodeId]);
    expect(ids((await search({ location: lyon })).available)).toEqual(ids([small, noAv1, fit]));
  });

  it('grows the rings until it has K nodes, however far they are', async () => {
    const nodes = [150, 900, 2_500, 7_000].map((km, i) => node(travel(lyon, i * 90 + 10, km)));
    await store.upsertNodes(nodes, TTL_MS);
    const result = await search({ location: lyon });
    expect(ids(result.available)).toEqual(ids(nodes.slice(0, 3)));
    expect(result.radiusKm).toBeGreaterThanOrEqual(2_500);
    const all = await search({ location: lyon, k: 10 });
    expect(ids(all.available)).toEqual(ids(nodes));
  });

  it('reports full nodes apart, and looks past them for free ones', async () => {
    const full = [1, 2].map((km) => node(travel(lyon, 45, km), { slots: 1 }));
    const free = [5, 6, 7].map((km) => node(travel(lyon, 135, km)));
    await store.upsertNodes([...full, ...free], TTL_MS);
    for (const record of full) await fill(store, record);
    const result = await search({ location: lyon });
    expect(ids(result.available)).toEqual(ids(free));
    expect(ids(result.full)).toEqual(ids(full));
    expect(result.available.every((found) => found.slots.free > 0)).toBe(true);
  });

  it('stops after reading its limit of nodes in a crowded, full city', async () => {
    const crowd = Array.from({ length: 40 }, (_, i) => node(travel(lyon, i * 9, 1 + i * 0.1), { slots: 1 }));
    await store.upsertNodes(crowd, TTL_MS);
    for (const record of crowd) await fill(store, record);
    const result = await findCandidates(store, { location: lyon, game: { buildId: BUILD, manifest: MANIFEST }, k: 3 }, { limits: { maxExamined: 16 } });
    expect(result.available).toEqual([]);
    expect(result.examined).toBe(16);
    expect(result.full).toHaveLength(3);
  });

  it('sizes its first circle from the counts an earlier search learned, and finds the same nodes', async () => {
    const nodes = [60, 90, 120, 150, 400].map((km, i) => node(travel(lyon, i * 70, km)));
    await store.upsertNodes(nodes, TTL_MS);
    const densities = new CellDensities();
    const first = await findCandidates(store, { location: lyon, game: { buildId: BUILD, manifest: MANIFEST }, k: 3 }, { densities });
    const again = await findCandidates(store, { location: lyon, game: { buildId: BUILD, manifest: MANIFEST }, k: 3 }, { densities });
    expect(ids(again.available)).toEqual(ids(first.available));
    expect(ids(first.available)).toEqual(ids(nodes.slice(0, 3)));
    expect(again.roundTrips).toBeLessThan(first.roundTrips);
  });

  it('takes any nodes within the equivalence distance where a crowd sits there, and the exact nearest without it', async () => {
    const nearest = node(travel(lyon, 0, 0.5));
    const crowd = Array.from({ length: 30 }, (_, i) => node(travel(lyon, i * 12, 2 + (i % 10) * 2)));
    await store.upsertNodes([nearest, ...crowd], TTL_MS);
    const some = await findCandidates(store, { location: lyon, game: { buildId: BUILD, manifest: MANIFEST }, k: 3 }, { equivalentKm: 25 });
    expect(some.available).toHaveLength(3);
    expect(some.available.every((found) => found.distanceKm <= 25)).toBe(true);
    const exact = await findCandidates(store, { location: lyon, game: { buildId: BUILD, manifest: MANIFEST }, k: 3 }, { equivalentKm: 0, equivalentRatio: 1 });
    expect(exact.available[0]?.nodeId).toBe(nearest.nodeId);
    expect(exact.available.slice(1).every((found) => found.distanceKm < 2.1)).toBe(true);
  });

  it('leaves out nodes that went silent', async () => {
    const silent = node(travel(lyon, 0, 1));
    const live = node(travel(lyon, 0, 2));
    await store.upsertNode(silent, 100);
    await store.upsertNode(live, TTL_MS);
    await pollUntil(() => store.getNode(silent.nodeId), (found) => found === null);
    expect(ids((await search({ location: lyon, k: 2 })).available)).toEqual([live.nodeId]);
  });

  it('finds exactly the K nearest free nodes that can run the game, as checking every node would', async () => {
    let seed = 99;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const nodes = Array.from({ length: 400 }, () =>
      node(travel(lyon, next() * 360, next() ** 2 * 1_500), { slots: 1, gpu: { model: 'gpu', vramMb: next() < 0.3 ? 4_096 : 16_384 } }),
    );
    await store.upsertNodes(nodes, TTL_MS);
    const full = new Set<string>();
    for (const record of nodes.filter(() => next() < 0.3)) {
      await fill(store, record);
      full.add(record.nodeId);
    }
    const manifest = { ...MANIFEST, requirements: { minVramMb: 8_192 } };
    for (let player = 0; player < 15; player++) {
      const location = travel(lyon, next() * 360, next() * 1_200);
      const expected = nodes
        .filter((record) => !full.has(record.nodeId) && record.gpu.vramMb >= 8_192)
        .sort((a, b) => distanceKm(location, a.location) - distanceKm(location, b.location))
        .slice(0, 5);
      const result = await findCandidates(store, { location, game: { buildId: BUILD, manifest }, k: 5 }, { equivalentKm: 0, equivalentRatio: 1 });
      expect(ids(result.available), `player at ${JSON.stringify(location)}`).toEqual(ids(expected));
    }
  });

  it('by default offers nodes no farther than the equivalence allows beyond the exact K nearest', async () => {
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    // Crowds on single points (a city's nodes, as geoip places them) and a few nodes scattered between.
    const cities = Array.from({ length: 6 }, () => travel(lyon, next() * 360, 50 + next() * 600));
    const nodes = [
      ...cities.flatMap((city) => Array.from({ length: 25 }, () => node(city))),
      ...Array.from({ length: 40 }, () => node(travel(lyon, next() * 360, next() * 800))),
    ];
    await store.upsertNodes(nodes, TTL_MS);
    for (let player = 0; player < 15; player++) {
      const location = travel(lyon, next() * 360, next() * 700);
      const exact = await findCandidates(store, { location, game: { buildId: BUILD, manifest: MANIFEST }, k: 8 }, { equivalentKm: 0, equivalentRatio: 1 });
      const offered = await findCandidates(store, { location, game: { buildId: BUILD, manifest: MANIFEST }, k: 8 });
      expect(offered.available).toHaveLength(8);
      const kthKm = exact.available.at(-1)!.distanceKm;
      const allowedKm = Math.max(DEFAULT_EQUIVALENT_KM, kthKm * DEFAULT_EQUIVALENT_RATIO) + 0.5;
      for (const found of offered.available) expect(found.distanceKm, `player at ${JSON.stringify(location)}`).toBeLessThanOrEqual(allowedKm);
    }
  });
});
