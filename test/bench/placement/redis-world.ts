/**
 * The world on Redis: every node registered through the store's bulk registration (as the
 * control plane's registry would), and, for the baseline, every node in one plain Redis GEO set.
 */
import type { Redis } from 'ioredis';
import { DEMO_GAME } from '../../../services/catalogue/catalogue.js';
import type { NodeRecord, Store } from '../../../services/store/store.js';
import type { WorldNodes } from './world.js';

/** The control plane and the in-process searches share these keys. */
export const BENCH_KEY_PREFIX = 'bench:';
export const BASELINE_GEO_KEY = 'baseline:nodes';
/** Nodes do not heartbeat during the run: registered for an hour, none expires. */
export const NODE_TTL_MS = 60 * 60 * 1000;
/** Capacity never binds: quality measures the choice, not what a full node forces. */
export const NODE_SLOTS = 1_000;

const REGISTER_CHUNK = 5_000;
/** Redis GEO sets cover latitudes up to ±85.05°. */
const GEO_MAX_LATITUDE = 85.05112878;
/** The baseline's GEOSEARCH radii, tried in turn until one holds a node; the last reaches everywhere. */
const BASELINE_RADII_KM = [25, 100, 400, 1_600, 6_400, 20_040];

export function nodeIdOf(node: number): string {
  return `n${node}`;
}

export function nodeNumberOf(nodeId: string): number {
  const node = Number(nodeId.slice(1));
  if (!Number.isInteger(node)) throw new Error(`not a benchmark node id: ${nodeId}`);
  return node;
}

export function nodeRecord(nodes: WorldNodes, node: number, at: number): NodeRecord {
  const nodeId = nodeIdOf(node);
  return {
    nodeId,
    publicKey: 'A'.repeat(43),
    operatorId: 'opbench',
    name: `bench node ${node}`,
    location: { lat: nodes.lat[node]!, lng: nodes.lng[node]! },
    gpu: { model: 'RTX 4070', vramMb: 12_288 },
    encoders: ['h264'],
    slots: NODE_SLOTS,
    pricePerHour: Math.round(nodes.pricePerHour[node]! * 100) / 100,
    signallingUrl: `https://${nodeId}.nodes.bench.invalid:8443`,
    // The demo game ships with every edge node.
    builds: [DEMO_GAME.buildId],
    lastHeartbeatAt: at,
  };
}

/** Registers nodes 0..count-1 through store.upsertNodes; returns the wall time in ms. */
export async function registerNodes(store: Store, nodes: WorldNodes, onProgress: (done: number) => void): Promise<number> {
  const started = performance.now();
  const at = Date.now();
  for (let from = 0; from < nodes.count; from += REGISTER_CHUNK) {
    const records: NodeRecord[] = [];
    for (let n = from; n < Math.min(nodes.count, from + REGISTER_CHUNK); n++) records.push(nodeRecord(nodes, n, at));
    const outcomes = await store.upsertNodes(records, NODE_TTL_MS);
    const refused = outcomes.filter((outcome) => outcome === 'operator_mismatch').length;
    if (refused > 0) throw new Error(`${refused} nodes were refused registration`);
    onProgress(from + records.length);
  }
  return performance.now() - started;
}

/** GEOADDs nodes 0..count-1 to the baseline's set; returns the wall time in ms. */
export async function addBaselineNodes(redis: Redis, nodes: WorldNodes): Promise<number> {
  const started = performance.now();
  for (let from = 0; from < nodes.count; from += REGISTER_CHUNK) {
    const args: (string | number)[] = [];
    for (let n = from; n < Math.min(nodes.count, from + REGISTER_CHUNK); n++) args.push(nodes.lng[n]!, geoLatitude(nodes.lat[n]!), nodeIdOf(n));
    await redis.geoadd(BASELINE_GEO_KEY, ...args);
  }
  return performance.now() - started;
}

/** The baseline: the node nearest the point by distance, by GEOSEARCH over a growing radius. */
export async function nearestByGeoSearch(redis: Redis, lat: number, lng: number): Promise<number> {
  for (const radiusKm of BASELINE_RADII_KM) {
    const hits = await redis.geosearch(BASELINE_GEO_KEY, 'FROMLONLAT', lng, geoLatitude(lat), 'BYRADIUS', radiusKm, 'km', 'ASC', 'COUNT', 1);
    const nearest = hits[0];
    if (typeof nearest === 'string') return nodeNumberOf(nearest);
  }
  return -1;
}

function geoLatitude(latitude: number): number {
  return Math.max(-GEO_MAX_LATITUDE, Math.min(GEO_MAX_LATITUDE, latitude));
}
