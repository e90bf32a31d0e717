/**
 * A copy of the cell index (cell-index.ts) in an instance's memory, so a search reads no Redis: the
 * search was nearly half of a placement's CPU, Redis's and the control plane's together. The copy
 * is fed by the entries every node script publishes (redis-scripts.ts) and by this instance's own
 * writes, so it can lag another instance's change by the moment a message takes; like the entries
 * in Redis, it only steers the search, and a slot is only taken by the reservation script. A
 * message it misses is made good within a minute for a live node, whose heartbeats republish its
 * entry at least that often (RedisStore's cellIndexRefreshMs).
 *
 * Each index cell keeps its nodes by their resolution-3 cell and, within that, by their exact
 * point (geoip puts a city's nodes on one), so a search measures the distance to each point once
 * and reads a cell's parts nearest first, stopping once no unread part can hold a nearer node.
 * Its answers are exact: it never needs the equivalence a NearbyQuery allows.
 */
import { cellGeometry, indexCells } from '../matchmaker/cell-index.js';
import { haversineKm, KM_PER_DEGREE_OF_LATITUDE, latitudeCosine } from '../matchmaker/great-circle.js';
import { decodeIndexEntry, entrySummary, type DecodedIndexEntry } from './index-entry.js';
import type { GeoPoint } from '../../protocol/http.js';
import type { IndexedNode, NearbyNodes, NearbyQuery, NodeSummary } from './store.js';

interface ReplicaNode {
  nodeId: string;
  /** The node's index cells, in INDEX_RESOLUTIONS order: its resolution-3 cell first. */
  cells: readonly string[];
  /** The entry as published: an instance hears its own writes again, and those need no decoding. */
  text: string;
  entry: DecodedIndexEntry;
}

/**
 * Places with a payload each, their coordinates in flat arrays of numbers: a search scans them
 * without following a pointer per place, which cost more than the distances themselves with
 * 100,000 nodes' objects spread over the heap.
 */
class Places<T> {
  readonly lats: number[] = [];
  readonly lngs: number[] = [];
  readonly cosLats: number[] = [];
  /** How far each place reaches around its coordinates: a cell's circumradius, 0 for a point. */
  readonly radii: number[] = [];
  readonly payloads: T[] = [];
  readonly #keys: string[] = [];
  readonly #index = new Map<string, number>();

  get size(): number {
    return this.payloads.length;
  }

  get(key: string): T | undefined {
    const at = this.#index.get(key);
    return at === undefined ? undefined : this.payloads[at];
  }

  getOrAdd(key: string, { lat, lng }: GeoPoint, radiusKm: number, make: () => T): T {
    const known = this.get(key);
    if (known !== undefined) return known;
    const payload = make();
    this.#index.set(key, this.payloads.length);
    this.#keys.push(key);
    this.lats.push(lat);
    this.lngs.push(lng);
    this.cosLats.push(latitudeCosine(lat));
    this.radii.push(radiusKm);
    this.payloads.push(payload);
    return payload;
  }

  /** Removes the place, moving the last one into its slot. */
  delete(key: string): void {
    const at = this.#index.get(key);
    if (at === undefined) return;
    this.#index.delete(key);
    const last = this.payloads.length - 1;
    if (at !== last) {
      const movedKey = this.#keys[last]!;
      this.#index.set(movedKey, at);
      this.#keys[at] = movedKey;
      this.lats[at] = this.lats[last]!;
      this.lngs[at] = this.lngs[last]!;
      this.cosLats[at] = this.cosLats[last]!;
      this.radii[at] = this.radii[last]!;
      this.payloads[at] = this.payloads[last]!;
    }
    for (const list of [this.#keys, this.lats, this.lngs, this.cosLats, this.radii, this.payloads]) list.pop();
  }
}

/** The nodes of one index cell that lie in one resolution-3 cell, by point. */
type Part = Places<ReplicaNode[]>;

interface Found {
  node: ReplicaNode;
  distanceKm: number;
}

export class IndexReplica {
  readonly #nodes = new Map<string, ReplicaNode>();
  /** index cell -> its parts, by resolution-3 cell */
  readonly #cells = new Map<string, Places<Part>>();
  /** Nodes per index cell, every resolution. */
  readonly #counts = new Map<string, number>();

  get size(): number {
    return this.#nodes.size;
  }

  /**
   * Takes the node's entry as its latest; a node that moved moves with it. `cells`, its index cells
   * where the caller knows them, saves working them out from its location.
   */
  apply(nodeId: string, entry: string, cells?: readonly string[]): void {
    const known = this.#nodes.get(nodeId);
    if (known?.text === entry) return;
    const decoded = decodeIndexEntry(entry, known?.entry);
    const { location } = decoded.summary;
    if (known !== undefined && samePoint(known.entry.summary.location, location)) {
      known.text = entry;
      known.entry = decoded;
      return;
    }
    if (known !== undefined) this.#remove(known);
    const node: ReplicaNode = { nodeId, cells: cells ?? indexCells(location), text: entry, entry: decoded };
    this.#nodes.set(nodeId, node);
    const [partCell = ''] = node.cells;
    const partGeometry = cellGeometry(partCell);
    for (const cell of node.cells) {
      this.#counts.set(cell, (this.#counts.get(cell) ?? 0) + 1);
      const parts = this.#cells.get(cell) ?? this.#cells.set(cell, new Places()).get(cell)!;
      const part = parts.getOrAdd(partCell, partGeometry.center, partGeometry.circumradiusKm, () => new Places());
      part.getOrAdd(pointKey(location), location, 0, () => []).push(node);
    }
  }

  /**
   * Forgets the nodes (of `nodeIds`, or of all it holds) that had lapsed by `at` (server ms);
   * returns them with their cells.
   */
  dropLapsed(at: number, nodeIds: Iterable<string> = this.#nodes.keys()): { nodeId: string; cells: readonly string[] }[] {
    const dropped: ReplicaNode[] = [];
    for (const nodeId of nodeIds) {
      const node = this.#nodes.get(nodeId);
      if (node === undefined || node.entry.liveUntil > at) continue;
      this.#remove(node);
      dropped.push(node);
    }
    return dropped.map(({ nodeId, cells }) => ({ nodeId, cells }));
  }

  /** As Store.nearbyNodes, at server time `now`. */
  nearby(query: NearbyQuery, now: number): NearbyNodes {
    const { center, radiusKm, perCellLimit, buildId } = query;
    const nodes: IndexedNode[] = [];
    let completeKm = radiusKm;
    for (const cell of query.cells) {
      const nearest = this.#nearestInCell(cell, center, radiusKm, perCellLimit);
      if (nearest.length >= perCellLimit) completeKm = Math.min(completeKm, nearest.at(-1)?.distanceKm ?? 0);
      for (const { node, distanceKm } of nearest) nodes.push(new ReplicaIndexedNode(node, cell, distanceKm, buildId, now));
    }
    return { nodes: nodes.sort((a, b) => a.distanceKm - b.distanceKm), completeKm };
  }

  /** As Store.indexedNodeCounts. */
  counts(cells: readonly string[]): number[] {
    return cells.map((cell) => this.#counts.get(cell) ?? 0);
  }

  /** The cell's `limit` nearest nodes within the radius, nearest first. */
  #nearestInCell(cell: string, center: GeoPoint, radiusKm: number, limit: number): Found[] {
    const parts = this.#cells.get(cell);
    if (parts === undefined) return [];
    const { lat, lng } = center;
    const cosLat = latitudeCosine(lat);
    const reachable: { reachKm: number; part: Part }[] = [];
    for (let i = 0; i < parts.size; i++) {
      const radius = parts.radii[i]!;
      if (Math.abs(parts.lats[i]! - lat) * KM_PER_DEGREE_OF_LATITUDE - radius > radiusKm) continue;
      const reachKm = haversineKm(lat, lng, cosLat, parts.lats[i]!, parts.lngs[i]!, parts.cosLats[i]!) - radius;
      if (reachKm <= radiusKm) reachable.push({ reachKm, part: parts.payloads[i]! });
    }
    reachable.sort((a, b) => a.reachKm - b.reachKm);
    const nearest: Found[] = [];
    // Past this, a node would not be kept: the radius, then the farthest of the nearest `limit`.
    let boundKm = radiusKm;
    for (const { reachKm, part } of reachable) {
      if (nearest.length >= limit && reachKm >= boundKm) break;
      for (let p = 0; p < part.size; p++) {
        if (Math.abs(part.lats[p]! - lat) * KM_PER_DEGREE_OF_LATITUDE > boundKm) continue;
        const distance = haversineKm(lat, lng, cosLat, part.lats[p]!, part.lngs[p]!, part.cosLats[p]!);
        if (distance > boundKm || (nearest.length >= limit && distance >= boundKm)) continue;
        for (const node of part.payloads[p]!) {
          insertNearestFirst(nearest, { node, distanceKm: distance }, limit);
          if (nearest.length >= limit) boundKm = nearest[limit - 1]!.distanceKm;
          if (nearest.length >= limit && distance >= boundKm) break;
        }
      }
    }
    return nearest;
  }

  #remove(node: ReplicaNode): void {
    this.#nodes.delete(node.nodeId);
    for (const cell of node.cells) {
      const count = (this.#counts.get(cell) ?? 1) - 1;
      if (count > 0) this.#counts.set(cell, count);
      else this.#counts.delete(cell);
    }
    const [partCell = ''] = node.cells;
    const point = pointKey(node.entry.summary.location);
    for (const cell of node.cells) {
      const parts = this.#cells.get(cell);
      const part = parts?.get(partCell);
      const atPoint = part?.get(point);
      atPoint?.splice(atPoint.indexOf(node), 1);
      if (atPoint?.length === 0) part?.delete(point);
      if (part?.size === 0) parts?.delete(partCell);
      if (parts?.size === 0) this.#cells.delete(cell);
    }
  }
}

/** A node the replica found; its summary is made only when the search classifies it. */
class ReplicaIndexedNode implements IndexedNode {
  readonly nodeId: string;
  #summary: NodeSummary | null | undefined;

  constructor(
    private readonly node: ReplicaNode,
    readonly cell: string,
    readonly distanceKm: number,
    private readonly buildId: string,
    private readonly now: number,
  ) {
    this.nodeId = node.nodeId;
  }

  get summary(): NodeSummary | null {
    if (this.#summary === undefined) {
      const { entry } = this.node;
      this.#summary = entry.liveUntil > this.now ? entrySummary(this.nodeId, entry, this.buildId, this.now) : null;
    }
    return this.#summary;
  }
}

function insertNearestFirst(nearest: Found[], found: Found, limit: number): void {
  let at = nearest.length;
  while (at > 0 && nearest[at - 1]!.distanceKm > found.distanceKm) at--;
  nearest.splice(at, 0, found);
  if (nearest.length > limit) nearest.pop();
}

function pointKey({ lat, lng }: GeoPoint): string {
  return `${lat},${lng}`;
}

function samePoint(a: GeoPoint, b: GeoPoint): boolean {
  return a.lat === b.lat && a.lng === b.lng;
}
