/**
 * The node with the least true RTT for a player, over every node (the demo game runs on all of
 * them), found exactly without trying all 100,000.
 *
 * Nodes are bucketed in a latitude/longitude grid, each cell's nodes sorted by their
 * player-independent delay (lastMile + penalty). A player's search visits cells in growing square
 * rings around their own and stops once nothing outside the rings can beat the best found:
 * a cell (or everything outside a ring) is at least some distance away, so no node in it can do
 * better than that distance at the least route inflation plus the node's own delay, and within a
 * cell the nodes are tried in increasing delay until that bound passes the best.
 *
 * Distance bounds, on the sphere: a latitude gap of Δφ is at least R·Δφ away; a longitude gap of
 * Δλ is at least R·asin(cos φ · sin min(Δλ, 90°)) away (the distance to the meridian's great
 * circle), φ the player's latitude.
 */
import { LATENCY_MODEL, modelRttMs, pathLowerBoundMs, type Endpoints, type Nodes } from './latency-model.js';

const RAD = Math.PI / 180;

export interface BestNode {
  node: number;
  rttMs: number;
}

export class BestNodeFinder {
  readonly #nodes: Nodes;
  readonly #cellDeg: number;
  readonly #rows: number;
  readonly #cols: number;
  readonly #djMin: number;
  readonly #djMax: number;
  /** Node numbers grouped by cell, each cell's in increasing extraMs; cell c holds order[start[c]..start[c+1]). */
  readonly #order: Int32Array;
  readonly #start: Int32Array;
  readonly #minExtraMs: number;
  /** Nodes tried (model RTT computed), over all searches: how much the pruning saves. */
  evaluated = 0;

  constructor(nodes: Nodes, cellDeg = 0.5) {
    this.#nodes = nodes;
    this.#cellDeg = cellDeg;
    this.#rows = Math.ceil(180 / cellDeg);
    this.#cols = Math.ceil(360 / cellDeg);
    this.#djMin = -Math.floor((this.#cols - 1) / 2);
    this.#djMax = this.#cols - 1 + this.#djMin;

    const cellOf = new Int32Array(nodes.count);
    const start = new Int32Array(this.#rows * this.#cols + 1);
    for (let n = 0; n < nodes.count; n++) {
      cellOf[n] = this.#row(nodes.lat[n]!) * this.#cols + this.#col(nodes.lng[n]!);
      start[cellOf[n]! + 1]!++;
    }
    for (let c = 0; c < this.#rows * this.#cols; c++) start[c + 1]! += start[c]!;
    const fill = start.slice(0, -1);
    const order = new Int32Array(nodes.count);
    for (let n = 0; n < nodes.count; n++) order[fill[cellOf[n]!]!++] = n;
    for (let c = 0; c < this.#rows * this.#cols; c++) {
      if (start[c + 1]! - start[c]! > 1) order.subarray(start[c]!, start[c + 1]!).sort((a, b) => nodes.extraMs[a]! - nodes.extraMs[b]!);
    }
    this.#order = order;
    this.#start = start;
    let minExtra = Infinity;
    for (let n = 0; n < nodes.count; n++) minExtra = Math.min(minExtra, nodes.extraMs[n]!);
    this.#minExtraMs = minExtra;
  }

  best(players: Endpoints, p: number): BestNode {
    const G = this.#cellDeg;
    const R = LATENCY_MODEL.earthRadiusKm;
    const lat = players.lat[p]!;
    // Longitude 180 is -180 (the grid's first column), also for the gaps measured from it.
    const lng = players.lng[p]! >= 180 ? players.lng[p]! - 360 : players.lng[p]!;
    const cosLat = players.cosLat[p]!;
    const ownMs = players.lastMileMs[p]!;
    const pi = this.#row(lat);
    const pj = this.#col(lng);
    const latGapKm = (i: number) => {
      const gap = i > pi ? i * G - 90 - lat : i < pi ? lat - ((i + 1) * G - 90) : 0;
      return Math.max(0, gap) * RAD * R;
    };
    const lngGapKm = (dj: number) => {
      const gap = dj > 0 ? (pj + dj) * G - 180 - lng : dj < 0 ? lng - ((pj + dj + 1) * G - 180) : 0;
      return R * Math.asin(Math.min(1, cosLat * Math.sin(Math.min(Math.max(0, gap), 90) * RAD)));
    };

    let best = Infinity;
    let bestNode = -1;
    const visit = (i: number, dj: number) => {
      const c = i * this.#cols + ((((pj + dj) % this.#cols) + this.#cols) % this.#cols);
      const from = this.#start[c]!;
      const to = this.#start[c + 1]!;
      if (from === to) return;
      const boundMs = pathLowerBoundMs(Math.max(latGapKm(i), lngGapKm(dj))) + ownMs;
      for (let k = from; k < to; k++) {
        const n = this.#order[k]!;
        if (boundMs + this.#nodes.extraMs[n]! >= best) break;
        this.evaluated++;
        const rtt = modelRttMs(players, p, this.#nodes, n);
        if (rtt < best) {
          best = rtt;
          bestNode = n;
        }
      }
    };

    for (let r = 0; ; r++) {
      for (let di = -r; di <= r; di++) {
        const i = pi + di;
        if (i < 0 || i >= this.#rows) continue;
        if (Math.abs(di) === r) {
          for (let dj = Math.max(-r, this.#djMin); dj <= Math.min(r, this.#djMax); dj++) visit(i, dj);
        } else {
          if (-r >= this.#djMin) visit(i, -r);
          if (r <= this.#djMax) visit(i, r);
        }
      }
      // The nearest any unvisited cell can be.
      let outsideKm = Infinity;
      if (pi + r + 1 < this.#rows) outsideKm = Math.min(outsideKm, latGapKm(pi + r + 1));
      if (pi - r - 1 >= 0) outsideKm = Math.min(outsideKm, latGapKm(pi - r - 1));
      if (r + 1 <= this.#djMax) outsideKm = Math.min(outsideKm, lngGapKm(r + 1));
      if (-(r + 1) >= this.#djMin) outsideKm = Math.min(outsideKm, lngGapKm(-(r + 1)));
      if (outsideKm === Infinity || pathLowerBoundMs(outsideKm) + ownMs + this.#minExtraMs >= best) break;
    }
    return { node: bestNode, rttMs: best };
  }

  #row(lat: number): number {
    return Math.min(this.#rows - 1, Math.max(0, Math.floor((lat + 90) / this.#cellDeg)));
  }

  #col(lng: number): number {
    return ((Math.floor((lng + 180) / this.#cellDeg) % this.#cols) + this.#cols) % this.#cols;
  }
}

/** The same answer by trying every node: checks BestNodeFinder. */
export function bestNodeByScan(players: Endpoints, p: number, nodes: Nodes): BestNode {
  let best = Infinity;
  let bestNode = -1;
  for (let n = 0; n < nodes.count; n++) {
    const rtt = modelRttMs(players, p, nodes, n);
    if (rtt < best) {
      best = rtt;
      bestNode = n;
    }
  }
  return { node: bestNode, rttMs: best };
}
