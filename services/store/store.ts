/**
 * The control plane's state, behind one interface so instances stay stateless: the in-process
 * backend serves one machine, the Redis backend serves many instances. Both pass the same
 * contract suite (test/integration/services/store.contract.test.ts).
 */
import type { GeoPoint, SessionEndReason, SessionState } from '../../protocol/http.js';

export interface NodeRecord {
  nodeId: string;
  /** Ed25519 public key, raw 32 bytes, base64url: verifies everything the node signs. */
  publicKey: string;
  /** Digest of the operator token that registered the node: another operator may not take it over. */
  operatorId: string;
  name: string;
  location: GeoPoint;
  gpu: { model: string; vramMb: number };
  encoders: string[];
  /** Capacity: how many sessions the node runs at once. */
  slots: number;
  pricePerHour: number;
  signallingUrl: string;
  builds: string[];
  lastHeartbeatAt: number;
}

export interface SlotCounts {
  capacity: number;
  reserved: number;
  busy: number;
  free: number;
}

export interface SessionUsage {
  startedAt: number;
  endedAt: number;
  framesSent: number;
  bytesSent: number;
  width: number;
  height: number;
}

export interface SessionRecord {
  sessionId: string;
  nodeId: string;
  playerId: string;
  gameId: string;
  buildId: string;
  state: SessionState;
  createdAt: number;
  /** When the slot reservation lapses unless the node reports the session started. */
  reservationExpiresAt: number;
  startedAt?: number;
  endedAt?: number;
  endReason?: SessionEndReason;
  usage?: SessionUsage;
}

/** The fields a state transition may change. */
export type SessionPatch = Partial<Pick<SessionRecord, 'state' | 'startedAt' | 'endedAt' | 'endReason' | 'usage'>>;

export type UpsertNodeOutcome = 'created' | 'refreshed' | 'operator_mismatch';
export type HeartbeatOutcome = 'accepted' | 'replayed' | 'unknown_node';

export interface Reservation {
  expiresAt: number;
}

export interface Store {
  /**
   * Registers a node or refreshes its record, and restarts its TTL. A live node keeps its slot
   * accounting and heartbeat sequence; a node that had expired starts afresh. Refused when the
   * node is live under another operator.
   */
  upsertNode(record: NodeRecord, ttlMs: number): Promise<UpsertNodeOutcome>;
  /** The node, or null once its TTL lapsed. */
  getNode(nodeId: string): Promise<NodeRecord | null>;
  listNodes(): Promise<NodeRecord[]>;
  /** Accepts only a sequence number above every one seen for the node; accepting restarts the TTL. */
  acceptHeartbeat(nodeId: string, seq: number, at: number, ttlMs: number): Promise<HeartbeatOutcome>;

  /** Takes a free slot for the session until `ttlMs` from now; null when none is free (never over-books). */
  reserveSlot(nodeId: string, sessionId: string, ttlMs: number): Promise<Reservation | null>;
  /** Turns the session's live reservation into a busy slot; true if it is busy now. */
  activateSession(nodeId: string, sessionId: string): Promise<boolean>;
  /** Frees the session's slot, reserved or busy; false if it held none. */
  releaseSlot(nodeId: string, sessionId: string): Promise<boolean>;
  /** Always free + reserved + busy == capacity; an unknown node has no capacity. */
  nodeSlots(nodeId: string): Promise<SlotCounts>;

  putSession(record: SessionRecord, ttlMs: number): Promise<void>;
  getSession(sessionId: string): Promise<SessionRecord | null>;
  /** Applies `patch` only if the session is in one of the `from` states; returns the updated record, or null. */
  transitionSession(sessionId: string, from: readonly SessionState[], patch: SessionPatch): Promise<SessionRecord | null>;

  close(): Promise<void>;
}

/**
 * A node that shrank its capacity below what is in use reports no free slot rather than a negative
 * count; its capacity is then what is in use until sessions end.
 */
export function slotCounts(registered: number, reserved: number, busy: number): SlotCounts {
  const capacity = Math.max(registered, reserved + busy);
  return { capacity, reserved, busy, free: capacity - reserved - busy };
}
