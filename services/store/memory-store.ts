/**
 * The embedded store for one machine: all state in this process, expiry checked on access.
 * Every method runs to completion without awaiting, so each is atomic like a Redis script.
 */
import type { SessionState } from '../../protocol/http.js';
import { distanceKm } from '../matchmaker/great-circle.js';
import { indexCells } from '../matchmaker/cell-index.js';
import {
  DEFAULT_NODE_REPUTATION,
  nextMeanDepartureInterval,
  slotCounts,
  type HeartbeatOutcome,
  type IndexedNode,
  type NearbyNodes,
  type NearbyQuery,
  type NodeRecord,
  type NodeSessionsReconciled,
  type NodeSummary,
  type OrphanedSessions,
  type PlacementPatch,
  type PlacementRecord,
  type PlacementState,
  type QueueStanding,
  type Reservation,
  type SessionPatch,
  type SessionRecord,
  type SlotCounts,
  type Store,
  type StoredNode,
  type UpsertNodeOutcome,
} from './store.js';

interface NodeEntry {
  record: NodeRecord;
  cells: string[];
  builds: Set<string>;
  expiresAt: number;
  lastSeq: number;
  /** sessionId -> reservation expiry */
  reserved: Map<string, number>;
  busy: Set<string>;
  /** Busy sessions the node's last report left out: released if the next one leaves them out too. */
  missing: Set<string>;
}

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

interface Queue {
  /** placementId -> when the entry lapses unless refreshed; Map order is arrival order. */
  entries: Map<string, number>;
  /** When a player last left, or the queue last filled from empty. */
  lastDepartureAt: number | null;
  meanDepartureIntervalMs: number | null;
}

/** Expired sessions nobody reads again are dropped by a sweep this often, so memory stays bounded. */
const SWEEP_INTERVAL_MS = 60_000;

export class MemoryStore implements Store {
  readonly #nodes = new Map<string, NodeEntry>();
  /** cell -> ids of the nodes in it */
  readonly #cells = new Map<string, Set<string>>();
  readonly #reputations = new Map<string, number>();
  /** nodeId -> the sessions booked on it (reserved or busy); outlives the node, to find its orphans. */
  readonly #booked = new Map<string, Set<string>>();
  readonly #sessions = new Map<string, Expiring<SessionRecord>>();
  readonly #placements = new Map<string, Expiring<PlacementRecord>>();
  /** playerId -> the placement that holds the player */
  readonly #claims = new Map<string, Expiring<string>>();
  readonly #queues = new Map<string, Queue>();
  #lastSweep = Date.now();

  async upsertNode(record: NodeRecord, ttlMs: number): Promise<UpsertNodeOutcome> {
    return this.#upsertNode(record, ttlMs);
  }

  async upsertNodes(records: readonly NodeRecord[], ttlMs: number): Promise<UpsertNodeOutcome[]> {
    return records.map((record) => this.#upsertNode(record, ttlMs));
  }

  async getNode(nodeId: string): Promise<StoredNode | null> {
    const entry = this.#liveNode(nodeId, Date.now());
    return entry === undefined ? null : this.#stored(entry);
  }

  async listNodes(): Promise<StoredNode[]> {
    const now = Date.now();
    const nodes: StoredNode[] = [];
    for (const nodeId of [...this.#nodes.keys()]) {
      const entry = this.#liveNode(nodeId, now);
      if (entry !== undefined) nodes.push(this.#stored(entry));
    }
    return nodes;
  }

  async setNodeReputation(nodeId: string, reputation: number): Promise<void> {
    this.#reputations.set(nodeId, reputation);
  }

  async acceptHeartbeat(nodeId: string, seq: number, at: number, ttlMs: number, builds?: readonly string[]): Promise<HeartbeatOutcome> {
    const now = Date.now();
    const entry = this.#liveNode(nodeId, now);
    if (entry === undefined) return 'unknown_node';
    if (seq <= entry.lastSeq) return 'replayed';
    entry.lastSeq = seq;
    entry.record.lastHeartbeatAt = at;
    entry.expiresAt = now + ttlMs;
    if (builds !== undefined) {
      entry.record.builds = [...builds];
      entry.builds = new Set(builds);
    }
    return 'accepted';
  }

  async reserveSlot(nodeId: string, sessionId: string, ttlMs: number): Promise<Reservation | null> {
    const now = Date.now();
    const entry = this.#liveNode(nodeId, now);
    if (entry === undefined || entry.busy.has(sessionId)) return null;
    const counts = this.#slots(entry, now);
    if (!entry.reserved.has(sessionId) && counts.free === 0) return null;
    const expiresAt = now + ttlMs;
    entry.reserved.set(sessionId, expiresAt);
    this.#bookedOn(nodeId).add(sessionId);
    return { expiresAt };
  }

  async activateSession(nodeId: string, sessionId: string): Promise<boolean> {
    const now = Date.now();
    const entry = this.#liveNode(nodeId, now);
    if (entry === undefined) return false;
    if (entry.busy.has(sessionId)) return true;
    this.#purgeReservations(entry, now);
    if (!entry.reserved.delete(sessionId)) return false;
    entry.busy.add(sessionId);
    return true;
  }

  async releaseSlot(nodeId: string, sessionId: string): Promise<boolean> {
    const entry = this.#liveNode(nodeId, Date.now());
    if (entry === undefined) return false;
    const wasReserved = entry.reserved.delete(sessionId);
    const wasBusy = entry.busy.delete(sessionId);
    this.#booked.get(nodeId)?.delete(sessionId);
    return wasReserved || wasBusy;
  }

  async reconcileNodeSessions(nodeId: string, running: readonly string[], authoritative: boolean): Promise<NodeSessionsReconciled> {
    const now = Date.now();
    const entry = this.#liveNode(nodeId, now);
    if (entry === undefined) return { released: [], unknown: [] };
    this.#purgeReservations(entry, now);
    const runs = new Set(running);
    const released: string[] = [];
    const missing = new Set<string>();
    // The booked sessions, not only the busy ones: a node that expired and registered again starts
    // with no busy slots, but what was booked on it before must be squared too.
    for (const sessionId of this.#booked.get(nodeId) ?? []) {
      if (runs.has(sessionId) || entry.reserved.has(sessionId)) continue;
      if (authoritative || entry.missing.has(sessionId)) released.push(sessionId);
      else missing.add(sessionId);
    }
    for (const sessionId of released) {
      entry.busy.delete(sessionId);
      this.#booked.get(nodeId)?.delete(sessionId);
    }
    entry.missing = missing;
    const unknown: string[] = [];
    for (const sessionId of runs) {
      if (entry.reserved.delete(sessionId)) entry.busy.add(sessionId);
      else if (!entry.busy.has(sessionId)) unknown.push(sessionId);
    }
    return { released, unknown };
  }

  async adoptSessions(nodeId: string, sessionIds: readonly string[]): Promise<void> {
    const entry = this.#liveNode(nodeId, Date.now());
    if (entry === undefined) return;
    for (const sessionId of sessionIds) {
      entry.reserved.delete(sessionId);
      entry.busy.add(sessionId);
      this.#bookedOn(nodeId).add(sessionId);
    }
  }

  async takeOrphanedSessions(): Promise<OrphanedSessions[]> {
    const now = Date.now();
    const orphans: OrphanedSessions[] = [];
    for (const [nodeId, sessionIds] of this.#booked) {
      if (this.#liveNode(nodeId, now) !== undefined) continue;
      this.#booked.delete(nodeId);
      if (sessionIds.size > 0) orphans.push({ nodeId, sessionIds: [...sessionIds] });
    }
    return orphans;
  }

  async nodeSlots(nodeId: string): Promise<SlotCounts> {
    const now = Date.now();
    const entry = this.#liveNode(nodeId, now);
    return entry === undefined ? slotCounts(0, 0, 0) : this.#slots(entry, now);
  }

  async nearbyNodes(query: NearbyQuery): Promise<NearbyNodes> {
    const now = Date.now();
    const nodes: IndexedNode[] = [];
    let completeKm = query.radiusKm;
    for (const cell of query.cells) {
      const inCell: IndexedNode[] = [];
      for (const nodeId of this.#cells.get(cell) ?? []) {
        const entry = this.#liveNode(nodeId, now);
        if (entry === undefined) continue;
        const distance = distanceKm(query.center, entry.record.location);
        if (distance <= query.radiusKm) inCell.push({ nodeId, cell, distanceKm: distance, summary: this.#summary(entry, query.buildId, now) });
      }
      inCell.sort((a, b) => a.distanceKm - b.distanceKm);
      const nearest = inCell.slice(0, query.perCellLimit);
      if (inCell.length >= query.perCellLimit) completeKm = Math.min(completeKm, nearest.at(-1)?.distanceKm ?? 0);
      nodes.push(...nearest);
    }
    return { nodes: nodes.sort((a, b) => a.distanceKm - b.distanceKm), completeKm };
  }

  async indexedNodeCounts(cells: readonly string[]): Promise<number[]> {
    return cells.map((cell) => this.#cells.get(cell)?.size ?? 0);
  }

  async nodeSummaries(nodeIds: readonly string[], buildId: string): Promise<(NodeSummary | null)[]> {
    const now = Date.now();
    return nodeIds.map((nodeId) => {
      const entry = this.#liveNode(nodeId, now);
      return entry === undefined ? null : this.#summary(entry, buildId, now);
    });
  }

  async unindexNodes(entries: readonly Pick<IndexedNode, 'nodeId' | 'cell'>[]): Promise<void> {
    // Expired nodes leave the index when they are next looked at.
    const now = Date.now();
    for (const { nodeId } of entries) this.#liveNode(nodeId, now);
  }

  async putSession(record: SessionRecord, ttlMs: number): Promise<void> {
    const now = Date.now();
    this.#sweep(now);
    this.#sessions.set(record.sessionId, { value: structuredClone(record), expiresAt: now + ttlMs });
  }

  async getSession(sessionId: string): Promise<SessionRecord | null> {
    const entry = live(this.#sessions, sessionId, Date.now());
    return entry === undefined ? null : structuredClone(entry.value);
  }

  async transitionSession(sessionId: string, from: readonly SessionState[], patch: SessionPatch): Promise<SessionRecord | null> {
    const entry = live(this.#sessions, sessionId, Date.now());
    if (entry === undefined || !from.includes(entry.value.state)) return null;
    entry.value = { ...entry.value, ...structuredClone(patch) };
    return structuredClone(entry.value);
  }

  async putPlacement(record: PlacementRecord, ttlMs: number): Promise<void> {
    const now = Date.now();
    this.#sweep(now);
    this.#placements.set(record.placementId, { value: structuredClone(record), expiresAt: now + ttlMs });
  }

  async getPlacement(placementId: string): Promise<PlacementRecord | null> {
    const entry = live(this.#placements, placementId, Date.now());
    return entry === undefined ? null : structuredClone(entry.value);
  }

  async transitionPlacement(
    placementId: string,
    from: readonly PlacementState[],
    patch: PlacementPatch,
    ttlMs?: number,
  ): Promise<PlacementRecord | null> {
    const now = Date.now();
    const entry = live(this.#placements, placementId, now);
    if (entry === undefined || !from.includes(entry.value.state)) return null;
    entry.value = { ...entry.value, ...structuredClone(patch) };
    if (ttlMs !== undefined) entry.expiresAt = now + ttlMs;
    return structuredClone(entry.value);
  }

  async claimPlayer(playerId: string, placementId: string, ttlMs: number, replacing?: string): Promise<string | null> {
    const now = Date.now();
    const claim = live(this.#claims, playerId, now);
    if (claim !== undefined && claim.value !== placementId && claim.value !== replacing) return claim.value;
    this.#claims.set(playerId, { value: placementId, expiresAt: now + ttlMs });
    return null;
  }

  async releasePlayer(playerId: string, placementId: string): Promise<void> {
    if (live(this.#claims, playerId, Date.now())?.value === placementId) this.#claims.delete(playerId);
  }

  async enqueue(queueName: string, placementId: string, entryTtlMs: number, maxLength: number): Promise<QueueStanding | null> {
    const now = Date.now();
    const queue = this.#queue(queueName, now);
    if (!queue.entries.has(placementId) && queue.entries.size >= maxLength) return null;
    // An idle spell is no departure interval: the clock starts when someone waits.
    if (queue.entries.size === 0) queue.lastDepartureAt = now;
    queue.entries.set(placementId, now + entryTtlMs);
    return standing(queue, placementId);
  }

  async queueStanding(queueName: string, placementId: string, entryTtlMs: number): Promise<QueueStanding | null> {
    const now = Date.now();
    const queue = this.#queue(queueName, now);
    if (!queue.entries.has(placementId)) return null;
    queue.entries.set(placementId, now + entryTtlMs);
    return standing(queue, placementId);
  }

  async queueLength(queueName: string): Promise<number> {
    return this.#queue(queueName, Date.now()).entries.size;
  }

  async dequeue(queueName: string, placementId: string): Promise<void> {
    const now = Date.now();
    const queue = this.#queue(queueName, now);
    if (queue.entries.delete(placementId)) depart(queue, now);
  }

  async close(): Promise<void> {
    this.#nodes.clear();
    this.#booked.clear();
    this.#cells.clear();
    this.#sessions.clear();
    this.#placements.clear();
    this.#claims.clear();
    this.#queues.clear();
  }

  #upsertNode(record: NodeRecord, ttlMs: number): UpsertNodeOutcome {
    const now = Date.now();
    const entry = this.#liveNode(record.nodeId, now);
    if (entry !== undefined && entry.record.operatorId !== record.operatorId) return 'operator_mismatch';
    const cells = indexCells(record.location);
    const indexed = { record: structuredClone(record), cells, builds: new Set(record.builds), expiresAt: now + ttlMs };
    if (entry === undefined) {
      this.#nodes.set(record.nodeId, { ...indexed, lastSeq: -1, reserved: new Map(), busy: new Set(), missing: new Set() });
    } else {
      this.#unindex(entry);
      Object.assign(entry, indexed);
    }
    if (!this.#reputations.has(record.nodeId)) this.#reputations.set(record.nodeId, DEFAULT_NODE_REPUTATION);
    for (const cell of cells) {
      let members = this.#cells.get(cell);
      if (members === undefined) this.#cells.set(cell, (members = new Set()));
      members.add(record.nodeId);
    }
    return entry === undefined ? 'created' : 'refreshed';
  }

  #stored(entry: NodeEntry): StoredNode {
    return { ...structuredClone(entry.record), reputation: this.#reputation(entry.record.nodeId) };
  }

  #reputation(nodeId: string): number {
    return this.#reputations.get(nodeId) ?? DEFAULT_NODE_REPUTATION;
  }

  #summary(entry: NodeEntry, buildId: string, now: number): NodeSummary {
    const { nodeId, location, gpu, encoders, pricePerHour, signallingUrl } = entry.record;
    return {
      nodeId,
      location: { ...location },
      gpuModel: gpu.model,
      vramMb: gpu.vramMb,
      encoders: [...encoders],
      pricePerHour,
      reputation: this.#reputation(nodeId),
      signallingUrl,
      slots: this.#slots(entry, now),
      buildCached: entry.builds.has(buildId),
    };
  }

  #slots(entry: NodeEntry, now: number): SlotCounts {
    this.#purgeReservations(entry, now);
    return slotCounts(entry.record.slots, entry.reserved.size, entry.busy.size);
  }

  #bookedOn(nodeId: string): Set<string> {
    let booked = this.#booked.get(nodeId);
    if (booked === undefined) this.#booked.set(nodeId, (booked = new Set()));
    return booked;
  }

  #purgeReservations(entry: NodeEntry, now: number): void {
    for (const [sessionId, expiresAt] of entry.reserved) {
      if (expiresAt > now) continue;
      entry.reserved.delete(sessionId);
      this.#booked.get(entry.record.nodeId)?.delete(sessionId);
    }
  }

  #liveNode(nodeId: string, now: number): NodeEntry | undefined {
    const entry = this.#nodes.get(nodeId);
    if (entry !== undefined && entry.expiresAt <= now) {
      this.#nodes.delete(nodeId);
      this.#unindex(entry);
      return undefined;
    }
    return entry;
  }

  #unindex(entry: NodeEntry): void {
    for (const cell of entry.cells) {
      const members = this.#cells.get(cell);
      members?.delete(entry.record.nodeId);
      if (members?.size === 0) this.#cells.delete(cell);
    }
  }

  /** The queue with its lapsed entries dropped. */
  #queue(name: string, now: number): Queue {
    let queue = this.#queues.get(name);
    if (queue === undefined) this.#queues.set(name, (queue = { entries: new Map(), lastDepartureAt: null, meanDepartureIntervalMs: null }));
    for (const [placementId, lapsesAt] of queue.entries) {
      if (lapsesAt > now) continue;
      queue.entries.delete(placementId);
      depart(queue, now);
    }
    return queue;
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    for (const map of [this.#sessions, this.#placements, this.#claims] as Map<string, Expiring<unknown>>[]) {
      for (const [key, entry] of map) {
        if (entry.expiresAt <= now) map.delete(key);
      }
    }
  }
}

function live<T>(map: Map<string, Expiring<T>>, key: string, now: number): Expiring<T> | undefined {
  const entry = map.get(key);
  if (entry !== undefined && entry.expiresAt <= now) {
    map.delete(key);
    return undefined;
  }
  return entry;
}

function standing(queue: Queue, placementId: string): QueueStanding {
  const position = [...queue.entries.keys()].indexOf(placementId) + 1;
  return { position, length: queue.entries.size, meanDepartureIntervalMs: queue.meanDepartureIntervalMs };
}

function depart(queue: Queue, now: number): void {
  if (queue.lastDepartureAt !== null) queue.meanDepartureIntervalMs = nextMeanDepartureInterval(queue.meanDepartureIntervalMs, now - queue.lastDepartureAt);
  queue.lastDepartureAt = now;
}
