/**
 * The benchmark's ground truth: the round-trip time between a player and an edge node.
 *
 *   rtt = 2 * distance * inflation / FIBRE_SPEED + lastMile(player) + lastMile(node) + penalty(node)
 *
 *  - distance: great circle (haversine, mean Earth radius) between where geoip-lite puts the two.
 *  - FIBRE_SPEED: two thirds of the speed of light, ~199.9 km per ms (refractive index ~1.5).
 *  - inflation: how much longer the route is than the great circle, drawn per player-node pair,
 *    uniform in [1.4, 2.0] (mean 1.7; measured Internet paths run ~1.5-2x the geodesic). It is a
 *    hash of the pair, so it is the same in every process and run.
 *  - lastMile: per endpoint, uniform in [2, 15] ms of RTT (fibre/cable/DSL access, home Wi-Fi, the
 *    node's own uplink), drawn once per player and once per node.
 *  - penalty: per node, exponential with mean 4 ms capped at 40 ms: congestion, poor peering, a
 *    busy uplink: what the node's network costs that neither distance nor the map can tell.
 *
 * A player's probe measures the model RTT plus a jitter uniform in [-0.5, +0.5] ms (also a hash of
 * the pair): the median of a few pings is close to, not exactly, the truth.
 *
 * Only lastMile(node) + penalty(node) and the inflation differ between nodes at the same distance:
 * that is what a distance-only choice cannot see. lastMile(player) is common to all of a player's
 * nodes and cancels out of the excess latency.
 */
import { hash01 } from './prng.js';

export const LATENCY_MODEL = {
  /** Mean Earth radius (IUGG), km. */
  earthRadiusKm: 6371.0088,
  /** 2/3 c in km per ms. */
  fibreKmPerMs: (299_792.458 / 1000) * (2 / 3),
  inflationMin: 1.4,
  inflationMax: 2.0,
  lastMileMinMs: 2,
  lastMileMaxMs: 15,
  penaltyMeanMs: 4,
  penaltyCapMs: 40,
  probeJitterMs: 0.5,
} as const;

const INFLATION_SALT = 0x1f1a7e;
const JITTER_SALT = 0x7e57e5;
const RAD = Math.PI / 180;

/** Endpoints (players or nodes) as parallel arrays, index = endpoint number. */
export interface Endpoints {
  count: number;
  lat: Float64Array;
  lng: Float64Array;
  /** Precomputed for the distance: lat in radians, cos(lat), lng in radians. */
  latRad: Float64Array;
  cosLat: Float64Array;
  lngRad: Float64Array;
  lastMileMs: Float64Array;
}

export interface Nodes extends Endpoints {
  penaltyMs: Float64Array;
  /** lastMile + penalty: the part of a node's RTT that does not depend on the player. */
  extraMs: Float64Array;
}

export function drawLastMileMs(random: () => number): number {
  const { lastMileMinMs: min, lastMileMaxMs: max } = LATENCY_MODEL;
  return min + (max - min) * random();
}

export function drawPenaltyMs(random: () => number): number {
  return Math.min(LATENCY_MODEL.penaltyCapMs, -LATENCY_MODEL.penaltyMeanMs * Math.log(1 - random()));
}

export function inflation(player: number, node: number): number {
  const { inflationMin: min, inflationMax: max } = LATENCY_MODEL;
  return min + (max - min) * hash01(player, node, INFLATION_SALT);
}

/** Haversine distance in km between player `p` and node `n`. */
export function distanceKm(players: Endpoints, p: number, nodes: Endpoints, n: number): number {
  const dLat = (nodes.latRad[n]! - players.latRad[p]!) / 2;
  const dLng = (nodes.lngRad[n]! - players.lngRad[p]!) / 2;
  const s1 = Math.sin(dLat);
  const s2 = Math.sin(dLng);
  const h = s1 * s1 + players.cosLat[p]! * nodes.cosLat[n]! * s2 * s2;
  return 2 * LATENCY_MODEL.earthRadiusKm * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The true RTT from player `p` to node `n`. */
export function modelRttMs(players: Endpoints, p: number, nodes: Nodes, n: number): number {
  const pathMs = (2 * distanceKm(players, p, nodes, n) * inflation(p, n)) / LATENCY_MODEL.fibreKmPerMs;
  return pathMs + players.lastMileMs[p]! + nodes.extraMs[n]!;
}

/** What the player's probes report for node `n`: the true RTT plus a little jitter. */
export function measuredRttMs(players: Endpoints, p: number, nodes: Nodes, n: number): number {
  const jitter = (2 * hash01(p, n, JITTER_SALT) - 1) * LATENCY_MODEL.probeJitterMs;
  return Math.max(0, modelRttMs(players, p, nodes, n) + jitter);
}

/** No route over `distanceKm` is faster than this (the least inflation, no access delays). */
export function pathLowerBoundMs(distanceKm: number): number {
  return (2 * distanceKm * LATENCY_MODEL.inflationMin) / LATENCY_MODEL.fibreKmPerMs;
}

/** Parallel arrays for `count` endpoints; the caller fills lat, lng and lastMileMs, then calls `finishEndpoints`. */
export function allocateEndpoints(count: number): Endpoints {
  return {
    count,
    lat: new Float64Array(count),
    lng: new Float64Array(count),
    latRad: new Float64Array(count),
    cosLat: new Float64Array(count),
    lngRad: new Float64Array(count),
    lastMileMs: new Float64Array(count),
  };
}

export function finishEndpoints(endpoints: Endpoints): void {
  for (let i = 0; i < endpoints.count; i++) {
    endpoints.latRad[i] = endpoints.lat[i]! * RAD;
    endpoints.cosLat[i] = Math.cos(endpoints.latRad[i]!);
    endpoints.lngRad[i] = endpoints.lng[i]! * RAD;
  }
}
