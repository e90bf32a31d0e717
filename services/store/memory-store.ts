/**
 * The embedded store for one machine: all state in this process, expiry checked on access.
 * Every method runs to completion without awaiting, so each is atomic like a Redis script.
 */
import type { SessionState } from '../../protocol/http.js';
import {
  slotCounts,
  type HeartbeatOutcome,
  type NodeRecord,
  type Reservation,
  type SessionPatch,
  type SessionRecord,
  type SlotCounts,
  type Store,
  type UpsertNodeOutcome,
} from './store.js';

interface NodeEntry {
  record: NodeRecord;
  expiresAt: number;
  lastSeq: number;
  /** sessionId -> reservation expiry */
  reserved: Map<string, number>;
  busy: Set<string>;
}

interface SessionEntry {
  record: SessionRecord;
  expiresAt: number;
}

/** Expired sessions nobody reads again are dropped by a sweep this often, so memory stays bounded. */
const SESSION_SWEEP_INTERVAL_MS = 60_000;

export class MemoryStore implements Store {
  readonly #nodes = new Map<string, NodeEntry>();
  readonly #sessions = new Map<string, SessionEntry>();
  #lastSessionSweep = Date.now();

  async upsertNode(record: NodeRecord, ttlMs: number): Promise<UpsertNodeOutcome> {
    const now = Date.now();
    const entry = this.#liveNode(record.nodeId, now);
    if (entry === undefined) {
      this.#nodes.set(record.nodeId, {
        record: structuredClone(record),
        expiresAt: now + ttlMs,
        lastSeq: -1,
        reserved: new Map(),
        busy: new Set(),
      });
      return 'created';
    }
    if (entry.record.operatorId !== record.operatorId) return 'operator_mismatch';
    entry.record = structuredClone(record);
    entry.expiresAt = now + ttlMs;
    return 'refreshed';
  }

  async getNode(nodeId: string): Promise<NodeRecord | null> {
    const entry = this.#liveNode(nodeId, Date.now());
    return entry === undefined ? null : structuredClone(entry.record);
  }

  async listNodes(): Promise<NodeRecord[]> {
    const now = Date.now();
    const nodes: NodeRecord[] = [];
    for (const nodeId of [...this.#nodes.keys()]) {
      const entry = this.#liveNode(nodeId, now);
      if (entry !== undefined) nodes.push(structuredClone(entry.record));
    }
    return nodes;
  }

  async acceptHeartbeat(nodeId: string, seq: number, at: number, ttlMs: number): Promise<HeartbeatOutcome> {
    const now = Date.now();
    const entry = this.#liveNode(nodeId, now);
    if (entry === undefined) return 'unknown_node';
    if (seq <= entry.lastSeq) return 'replayed';
    entry.lastSeq = seq;
    entry.record.lastHeartbeatAt = at;
    entry.expiresAt = now + ttlMs;
    return 'accepted';
  }

  async reserveSlot(nodeId: string, sessionId: string, ttlMs: number): Promise<Reservation | null> {
    const now = Date.now();
    const entry = this.#liveNode(nodeId, now);
    if (entry === undefined || entry.busy.has(sessionId)) return null;
    purgeReservations(entry, now);
    const counts = slotCounts(entry.record.slots, entry.reserved.size, entry.busy.size);
    if (!entry.reserved.has(sessionId) && counts.free === 0) return null;
    const expiresAt = now + ttlMs;
    entry.reserved.set(sessionId, expiresAt);
    return { expiresAt };
  }

  async activateSession(nodeId: string, sessionId: string): Promise<boolean> {
    const now = Date.now();
    const entry = this.#liveNode(nodeId, now);
    if (entry === undefined) return false;
    if (entry.busy.has(sessionId)) return true;
    purgeReservations(entry, now);
    if (!entry.reserved.delete(sessionId)) return false;
    entry.busy.add(sessionId);
    return true;
  }

  async releaseSlot(nodeId: string, sessionId: string): Promise<boolean> {
    const entry = this.#liveNode(nodeId, Date.now());
    if (entry === undefined) return false;
    const wasReserved = entry.reserved.delete(sessionId);
    const wasBusy = entry.busy.delete(sessionId);
    return wasReserved || wasBusy;
  }

  async nodeSlots(nodeId: string): Promise<SlotCounts> {
    const now = Date.now();
    const entry = this.#liveNode(nodeId, now);
    if (entry === undefined) return slotCounts(0, 0, 0);
    purgeReservations(entry, now);
    return slotCounts(entry.record.slots, entry.reserved.size, entry.busy.size);
  }

  async putSession(record: SessionRecord, ttlMs: number): Promise<void> {
    const now = Date.now();
    this.#sweepSessions(now);
    this.#sessions.set(record.sessionId, { record: structuredClone(record), expiresAt: now + ttlMs });
  }

  async getSession(sessionId: string): Promise<SessionRecord | null> {
    const entry = this.#liveSession(sessionId, Date.now());
    return entry === undefined ? null : structuredClone(entry.record);
  }

  async transitionSession(sessionId: string, from: readonly SessionState[], patch: SessionPatch): Promise<SessionRecord | null> {
    const entry = this.#liveSession(sessionId, Date.now());
    if (entry === undefined || !from.includes(entry.record.state)) return null;
    entry.record = { ...entry.record, ...structuredClone(patch) };
    return structuredClone(entry.record);
  }

  async close(): Promise<void> {
    this.#nodes.clear();
    this.#sessions.clear();
  }

  #liveNode(nodeId: string, now: number): NodeEntry | undefined {
    const entry = this.#nodes.get(nodeId);
    if (entry !== undefined && entry.expiresAt <= now) {
      this.#nodes.delete(nodeId);
      return undefined;
    }
    return entry;
  }

  #liveSession(sessionId: string, now: number): SessionEntry | undefined {
    const entry = this.#sessions.get(sessionId);
    if (entry !== undefined && entry.expiresAt <= now) {
      this.#sessions.delete(sessionId);
      return undefined;
    }
    return entry;
  }

  #sweepSessions(now: number): void {
    if (now - this.#lastSessionSweep < SESSION_SWEEP_INTERVAL_MS) return;
    this.#lastSessionSweep = now;
    for (const [sessionId, entry] of this.#sessions) {
      if (entry.expiresAt <= now) this.#sessions.delete(sessionId);
    }
  }
}

function purgeReservations(entry: NodeEntry, now: number): void {
  for (const [sessionId, expiresAt] of entry.reserved) {
    if (expiresAt <= now) entry.reserved.delete(sessionId);
  }
}
