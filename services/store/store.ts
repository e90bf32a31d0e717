/**
 * The control plane's state, behind one interface so instances stay stateless: the in-process
 * backend serves one machine, the Redis backend serves many instances. Both pass the same
 * contract suite (test/integration/services/store.contract.test.ts).
 */
import type { GeoPoint, SessionCreated, SessionEndReason, SessionState, SessionUsage } from '../../protocol/http.js';
import type { PlayerUsageKey } from '../../protocol/metering.js';
import type { PlacementCandidate } from '../../protocol/placement.js';

/** The reputation the control plane gives a node it has not judged yet. */
export const DEFAULT_NODE_REPUTATION = 0.8;

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
  /**
   * The node's heartbeat MAC key (base64url), new at each registration: a secret between the node
   * and the control plane, never shown in any view.
   */
  heartbeatKey?: string;
}

export interface SlotCounts {
  capacity: number;
  reserved: number;
  busy: number;
  free: number;
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

/**
 * A node as the control plane stores it: what it registered, plus its reputation (0..1), which the
 * control plane keeps and the node cannot declare. It outlives the node's registration, so a node
 * cannot shed a bad reputation by going silent and registering again.
 */
export interface StoredNode extends NodeRecord {
  reputation: number;
}

/** What placement needs to know about a node, small enough to read for many nodes at once. */
export interface NodeSummary {
  nodeId: string;
  location: GeoPoint;
  gpuModel: string;
  vramMb: number;
  encoders: string[];
  pricePerHour: number;
  reputation: number;
  signallingUrl: string;
  slots: SlotCounts;
  /** Whether the node has the build that the read asked about. */
  buildCached: boolean;
}

/** A node found in the cell index, how far it is from where the search looked, and what the index says of it. */
export interface IndexedNode {
  nodeId: string;
  /** The index cell it was found in. */
  cell: string;
  distanceKm: number;
  /**
   * The node as the index last saw it (on Redis a copy that may lag a concurrent reservation by a
   * moment); null when the node has expired and the entry is only waiting to be dropped.
   */
  summary: NodeSummary | null;
}

export interface NearbyQuery {
  /** H3 cells (from services/matchmaker/cell-index.ts) that together cover the circle. */
  cells: readonly string[];
  center: GeoPoint;
  radiusKm: number;
  /**
   * A cell contributes at most this many of its nearest nodes; a store may keep only this many
   * of the nearest of them all (completeKm then ends at the last one kept).
   */
  perCellLimit: number;
  /** The build the summaries' `buildCached` answers for. */
  buildId: string;
  /**
   * Nodes this close to `center` are as good as each other by distance: a cell that holds at least
   * `perCellLimit` of them may return any `perCellLimit` of them, without reading the rest.
   */
  equivalentKm: number;
  /**
   * Beyond `equivalentKm`, nodes whose distances differ by less than this factor are as good as
   * each other too (1, the default: exact distances decide).
   */
  equivalentRatio?: number;
}

export interface NearbyNodes {
  /** Nearest first. */
  nodes: IndexedNode[];
  /**
   * Every indexed node nearer than this is in `nodes` (or one as near, by `equivalentKm` and
   * `equivalentRatio`, stands in for it): the radius, or less where a cell had more nodes within
   * it than `perCellLimit` (the distance of that cell's farthest node returned, or the radius
   * within which it answered up to equivalence), or where nodes were left out past the last one kept.
   */
  completeKm: number;
}

export type UpsertNodeOutcome = 'created' | 'refreshed' | 'operator_mismatch';
export type HeartbeatOutcome = 'accepted' | 'replayed' | 'unknown_node';

export interface Reservation {
  expiresAt: number;
}

/** What a node's own list of its running sessions changed in the control plane's books. */
export interface NodeSessionsReconciled {
  /** Sessions that held a busy slot the node no longer runs: their slots are free now. */
  released: string[];
  /**
   * Sessions the node runs that hold no slot here (a reservation that lapsed just as the player
   * joined, or books lost in an outage): the caller checks their records before adopting them.
   */
  unknown: string[];
}

/** Sessions that were placed on a node which has since expired, handed out once. */
export interface OrphanedSessions {
  nodeId: string;
  sessionIds: string[];
}

/**
 * offered: candidates returned, waiting for the page's measurements; choosing: one request is
 * placing it (a lock against the player asking twice); queued: waiting for a slot; placed: has a
 * session; cancelled: the player gave it up.
 */
export type PlacementState = 'offered' | 'choosing' | 'queued' | 'placed' | 'cancelled';

export interface PlacementRecord {
  placementId: string;
  playerId: string;
  gameId: string;
  location: GeoPoint;
  candidates: PlacementCandidate[];
  state: PlacementState;
  createdAt: number;
  /** Until when the offer may be chosen from. */
  expiresAt: number;
  /** The page's measurements, by node id: null where every probe failed. */
  rtts?: Record<string, number | null>;
  /** The queue the player waits in, once queued. */
  queue?: string;
  /** Nodes the player asked not to be placed on (the one their session just failed on). */
  excluded?: string[];
  session?: SessionCreated;
  /** The page's per-session key, bound to the session it is placed in (services/metering). */
  usageKey?: PlayerUsageKey;
}

export type PlacementPatch = Partial<Pick<PlacementRecord, 'state' | 'rtts' | 'queue' | 'session'>>;

/**
 * The mean departure interval is an exponentially weighted mean of the gaps between departures
 * from a queue while someone waits in it: every player ahead who leaves, placed or giving up (or
 * lapsing), moves the ones behind up a place, so a place is worth one such gap. A gap is counted
 * from the previous departure, or from when the queue filled from empty (an idle queue is no
 * sign of a slow one); a gap longer than the cap counts as the cap.
 */
export const DEPARTURE_INTERVAL_WEIGHT = 0.3;
export const DEPARTURE_INTERVAL_CAP_MS = 120_000;

export function nextMeanDepartureInterval(mean: number | null, gapMs: number): number {
  const sample = Math.min(Math.max(gapMs, 0), DEPARTURE_INTERVAL_CAP_MS);
  return mean === null ? sample : mean + DEPARTURE_INTERVAL_WEIGHT * (sample - mean);
}

export interface QueueStanding {
  /** 1-based. */
  position: number;
  length: number;
  /** The recent mean time between two players leaving the queue (placed or not); null before any has. */
  meanDepartureIntervalMs: number | null;
}

export interface Store {
  /**
   * Registers a node or refreshes its record, and restarts its TTL. A live node keeps its slot
   * accounting and heartbeat sequence; a node that had expired starts afresh. Refused when the
   * node is live under another operator.
   */
  upsertNode(record: NodeRecord, ttlMs: number): Promise<UpsertNodeOutcome>;
  /** Registers many nodes at once, pipelined: as upsertNode for each, in order. */
  upsertNodes(records: readonly NodeRecord[], ttlMs: number): Promise<UpsertNodeOutcome[]>;
  /** The node, or null once its TTL lapsed. */
  getNode(nodeId: string): Promise<StoredNode | null>;
  listNodes(): Promise<StoredNode[]>;
  setNodeReputation(nodeId: string, reputation: number): Promise<void>;
  /**
   * Accepts only a sequence number above every one seen for the node; accepting restarts the TTL
   * and, when `builds` is given, replaces the node's cached builds (what searches see as
   * `buildCached`) in the same step.
   */
  acceptHeartbeat(nodeId: string, seq: number, at: number, ttlMs: number, builds?: readonly string[]): Promise<HeartbeatOutcome>;

  /** Takes a free slot for the session until `ttlMs` from now; null when none is free (never over-books). */
  reserveSlot(nodeId: string, sessionId: string, ttlMs: number): Promise<Reservation | null>;
  /** Turns the session's live reservation into a busy slot; true if it is busy now. */
  activateSession(nodeId: string, sessionId: string): Promise<boolean>;
  /** Frees the session's slot, reserved or busy; false if it held none. */
  releaseSlot(nodeId: string, sessionId: string): Promise<boolean>;
  /** Always free + reserved + busy == capacity; an unknown node has no capacity. */
  nodeSlots(nodeId: string): Promise<SlotCounts>;
  /**
   * Squares the node's slots with the sessions it says it runs (`running`). A live reservation the
   * node runs becomes busy; one it does not run yet is left to lapse (its player may still be
   * joining). A busy session the node does not run is released when a registration says so
   * (`authoritative`: a node that just started runs nothing it does not list), or when two reports
   * in a row leave it out, since one report may have been composed before the session started.
   * Nothing happens for a node that is not live.
   */
  reconcileNodeSessions(nodeId: string, running: readonly string[], authoritative: boolean): Promise<NodeSessionsReconciled>;
  /** Counts sessions the node runs as busy even beyond its capacity (they are running whatever the books said). */
  adoptSessions(nodeId: string, sessionIds: readonly string[]): Promise<void>;
  /**
   * The sessions still booked on nodes that are no longer live (their slots went with them); each
   * is handed out once, to end its record.
   */
  takeOrphanedSessions(): Promise<OrphanedSessions[]>;

  /**
   * The nodes indexed in `cells` within `radiusKm` of `center`, nearest first, with their
   * summaries; one round trip. The index may still hold nodes that expired since: their summaries
   * are null.
   */
  nearbyNodes(query: NearbyQuery): Promise<NearbyNodes>;
  /** How many nodes each cell indexes (expired ones included until dropped); one round trip. */
  indexedNodeCounts(cells: readonly string[]): Promise<number[]>;
  /** Summaries in the order asked, null for nodes that are not live; one round trip. */
  nodeSummaries(nodeIds: readonly string[], buildId: string): Promise<(NodeSummary | null)[]>;
  /** Drops index entries whose nodes were found expired (a null summary). */
  unindexNodes(entries: readonly Pick<IndexedNode, 'nodeId' | 'cell'>[]): Promise<void>;

  putSession(record: SessionRecord, ttlMs: number): Promise<void>;
  getSession(sessionId: string): Promise<SessionRecord | null>;
  /** Applies `patch` only if the session is in one of the `from` states; returns the updated record, or null. */
  transitionSession(sessionId: string, from: readonly SessionState[], patch: SessionPatch): Promise<SessionRecord | null>;

  putPlacement(record: PlacementRecord, ttlMs: number): Promise<void>;
  getPlacement(placementId: string): Promise<PlacementRecord | null>;
  /**
   * Applies `patch` only if the placement is in one of the `from` states, and restarts its TTL when
   * `ttlMs` is given; returns the updated record, or null.
   */
  transitionPlacement(placementId: string, from: readonly PlacementState[], patch: PlacementPatch, ttlMs?: number): Promise<PlacementRecord | null>;

  /**
   * Marks the player as held by `placementId` (or a session id) for `ttlMs`; claiming again with
   * the same id extends it, and a claim held by `replacing` passes to the new id in the same step.
   * Returns null once the claim holds, or the id that holds it.
   */
  claimPlayer(playerId: string, placementId: string, ttlMs: number, replacing?: string): Promise<string | null>;
  /** Ends the claim, if `placementId` holds it. */
  releasePlayer(playerId: string, placementId: string): Promise<void>;

  /**
   * Joins a FIFO queue (or stays in it, keeping its place); null when it already holds `maxLength`
   * others. An entry not refreshed (by joining or by queueStanding) within `entryTtlMs` is dropped:
   * a player who stopped polling does not hold up the players behind.
   */
  enqueue(queue: string, placementId: string, entryTtlMs: number, maxLength: number): Promise<QueueStanding | null>;
  /** Where the entry stands, refreshing it; null when it is not (or no longer) queued. */
  queueStanding(queue: string, placementId: string, entryTtlMs: number): Promise<QueueStanding | null>;
  /** Live entries. */
  queueLength(queue: string): Promise<number>;
  /** Leaves the queue, placed or not: a departure, which feeds the mean departure interval. */
  dequeue(queue: string, placementId: string): Promise<void>;

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
