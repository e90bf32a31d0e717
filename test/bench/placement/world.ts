/**
 * The benchmark's world: edge nodes and players placed where Internet users are. Each endpoint is a
 * uniformly random IPv4 address placed where geoip-lite says it is, so the density of nodes and
 * players follows the real address space (Tokyo, Frankfurt, Ashburn dense; Sahara empty). Nodes and
 * players are drawn independently, from their own seeded streams; a smaller world is a prefix of a
 * larger one drawn with the same seed.
 *
 * Kept: addresses geoip-lite places in a city. Skipped: private and reserved ranges, addresses it
 * does not know, and (by default) addresses it knows only to a country: it places those on the
 * country's centroid (e.g. 37.751,-97.822 for the USA), ~57% of the located IPv4 space. Keeping
 * them (BENCH_PLACEMENT_GEO=any) piles ~30% of all nodes and players onto one point in Kansas,
 * which measures the database's placeholder rather than where people are.
 */
import geoip from 'geoip-lite';
import { allocateEndpoints, drawLastMileMs, drawPenaltyMs, finishEndpoints, type Endpoints, type Nodes } from './latency-model.js';
import { mulberry32, nextUint32 } from './prng.js';

export type GeoPrecision = 'city' | 'any';

export interface WorldOptions {
  seed: number;
  nodes: number;
  players: number;
  precision: GeoPrecision;
  onProgress?: (message: string) => void;
}

export interface SamplingStats {
  drawn: number;
  reserved: number;
  unlocated: number;
  countryOnly: number;
  kept: number;
}

export interface WorldNodes extends Nodes {
  ips: string[];
  /** USD per hour, uniform in [0.2, 1.0]. */
  pricePerHour: Float64Array;
}

export interface WorldPlayers extends Endpoints {
  ips: string[];
}

export interface World {
  seed: number;
  precision: GeoPrecision;
  nodes: WorldNodes;
  players: WorldPlayers;
  sampling: SamplingStats;
}

const NODE_STREAM = 0x6e6f6465;
const PLAYER_STREAM = 0x706c6179;
const PRICE_MIN = 0.2;
const PRICE_MAX = 1.0;

/** [network, prefix length] of IPv4 ranges that are not on the public Internet (RFC 6890). */
const RESERVED_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const RESERVED_RANGES = RESERVED_V4.map(([network, bits]) => {
  const base = ipToUint32(network);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base, mask };
});

export function ipToUint32(ip: string): number {
  return ip.split('.').reduce((value, octet) => ((value << 8) | Number(octet)) >>> 0, 0);
}

export function uint32ToIp(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

function isReserved(address: number): boolean {
  return RESERVED_RANGES.some(({ base, mask }) => ((address & mask) >>> 0) === base);
}

interface Located {
  ip: string;
  lat: number;
  lng: number;
}

/** Draws random addresses until one is located (as `precision` asks). */
function sampler(random: () => number, precision: GeoPrecision, stats: SamplingStats): () => Located {
  return () => {
    for (;;) {
      stats.drawn++;
      const address = nextUint32(random);
      if (isReserved(address)) {
        stats.reserved++;
        continue;
      }
      const found = geoip.lookup(address);
      const [lat, lng] = found?.ll ?? [];
      if (found === null || typeof lat !== 'number' || typeof lng !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lng)) {
        stats.unlocated++;
        continue;
      }
      if (precision === 'city' && found.city === '') {
        stats.countryOnly++;
        continue;
      }
      stats.kept++;
      return { ip: uint32ToIp(address), lat, lng };
    }
  };
}

export function buildWorld(options: WorldOptions): World {
  const { seed, precision, onProgress } = options;
  const sampling: SamplingStats = { drawn: 0, reserved: 0, unlocated: 0, countryOnly: 0, kept: 0 };
  const progressEvery = 50_000;

  const nodeRandom = mulberry32(seed ^ NODE_STREAM);
  const nextNode = sampler(nodeRandom, precision, sampling);
  const nodes: WorldNodes = {
    ...allocateEndpoints(options.nodes),
    penaltyMs: new Float64Array(options.nodes),
    extraMs: new Float64Array(options.nodes),
    ips: [],
    pricePerHour: new Float64Array(options.nodes),
  };
  for (let i = 0; i < options.nodes; i++) {
    const { ip, lat, lng } = nextNode();
    nodes.ips.push(ip);
    nodes.lat[i] = lat;
    nodes.lng[i] = lng;
    nodes.lastMileMs[i] = drawLastMileMs(nodeRandom);
    nodes.penaltyMs[i] = drawPenaltyMs(nodeRandom);
    nodes.extraMs[i] = nodes.lastMileMs[i]! + nodes.penaltyMs[i]!;
    nodes.pricePerHour[i] = PRICE_MIN + (PRICE_MAX - PRICE_MIN) * nodeRandom();
    if ((i + 1) % progressEvery === 0) onProgress?.(`  world: ${i + 1} nodes placed`);
  }
  finishEndpoints(nodes);

  const playerRandom = mulberry32(seed ^ PLAYER_STREAM);
  const nextPlayer = sampler(playerRandom, precision, sampling);
  const players: WorldPlayers = { ...allocateEndpoints(options.players), ips: [] };
  for (let i = 0; i < options.players; i++) {
    const { ip, lat, lng } = nextPlayer();
    players.ips.push(ip);
    players.lat[i] = lat;
    players.lng[i] = lng;
    players.lastMileMs[i] = drawLastMileMs(playerRandom);
    if ((i + 1) % progressEvery === 0) onProgress?.(`  world: ${i + 1} players placed`);
  }
  finishEndpoints(players);

  return { seed, precision, nodes, players, sampling };
}

/** The first `count` nodes: the world a smaller scale runs on. */
export function nodePrefix(nodes: WorldNodes, count: number): WorldNodes {
  return {
    count,
    lat: nodes.lat.subarray(0, count),
    lng: nodes.lng.subarray(0, count),
    latRad: nodes.latRad.subarray(0, count),
    cosLat: nodes.cosLat.subarray(0, count),
    lngRad: nodes.lngRad.subarray(0, count),
    lastMileMs: nodes.lastMileMs.subarray(0, count),
    penaltyMs: nodes.penaltyMs.subarray(0, count),
    extraMs: nodes.extraMs.subarray(0, count),
    ips: nodes.ips.slice(0, count),
    pricePerHour: nodes.pricePerHour.subarray(0, count),
  };
}

/** How many distinct points the endpoints sit on, and the most endpoints on one point. */
export function pointStats(endpoints: Endpoints): { distinct: number; largest: number } {
  const counts = new Map<string, number>();
  for (let i = 0; i < endpoints.count; i++) {
    const key = `${endpoints.lat[i]},${endpoints.lng[i]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let largest = 0;
  for (const count of counts.values()) largest = Math.max(largest, count);
  return { distinct: counts.size, largest };
}
