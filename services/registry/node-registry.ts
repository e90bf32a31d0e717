/**
 * Edge nodes joining and staying in the network. Operators are not trusted: a node is known by its
 * Ed25519 key, and everything it sends, its registration included, is signed with that key.
 */
import type { KeyObject } from 'node:crypto';
import { latLngToCell } from 'h3-js';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../protocol/errors.js';
import { generateHeartbeatKey, verifyHeartbeatMac } from '../../protocol/heartbeat-mac.js';
import type { HeartbeatAck, HeartbeatPayload, NodeHeartbeat, NodeList, NodeRegistered, NodeView, SignedRegistration } from '../../protocol/http.js';
import { publicKeyFromRaw, verifyPayload } from '../../protocol/signing.js';
import { TICKET_ISSUER } from '../../protocol/ticket.js';
import type { Logger } from '../logging/logger.js';
import type { ControlPlaneMetrics } from '../metrics/metrics.js';
import type { SessionReconciler } from '../sessions/session-reconciler.js';
import type { NodeRecord, Store, StoredNode } from '../store/store.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';
import { nodeIdForPublicKey } from './node-id.js';

/** How far a signed registration's or heartbeat's sentAt may be from our clock; bounds how long a captured one stays replayable. */
const MAX_CLOCK_SKEW_MS = 30_000;
/** Who sees every node in full in list(). */
export const ADMIN_VIEWER = 'admin';
/** The public sees where a node is only to this H3 resolution (cells of about 12,000 km²). */
const PUBLIC_CELL_RESOLUTION = 3;
/** Node keys kept per instance: a network's worth, a few hundred bytes each. */
const KEY_CACHE_SIZE = 100_000;

/** Which node keys may register, and who owns a node (services/operators/operator-accounts.ts). */
export interface NodeKeyPolicy {
  /** Throws NODE_KEY_REVOKED for a revoked key. */
  checkNodeKey(nodeId: string): Promise<void>;
  recordNodeOwner(nodeId: string, operatorId: string): Promise<void>;
}

export interface NodeRegistryOptions {
  store: Store;
  nodeKeys: NodeKeyPolicy;
  tickets: TicketIssuer;
  /** Squares each node's books with the sessions its heartbeats and registrations say it runs. */
  reconciler: SessionReconciler;
  metrics: ControlPlaneMetrics;
  log: Logger;
  heartbeatIntervalMs: number;
  nodeTtlMs: number;
  /** Builds a node is asked to prefetch, handed out in its heartbeat ack (services/builds/build-prefetch.ts). */
  prefetch?: { take(nodeId: string): Promise<string[]> };
}

export class NodeRegistry {
  readonly #options: NodeRegistryOptions;
  readonly #log: Logger;
  /**
   * Node keys by node id. An id is derived from its key, so the key found for an id is the key for
   * good: heartbeats, every node's every few seconds, check their signature without a store read
   * (the heartbeat script still refuses a node that is not live).
   */
  readonly #keys = new LRUCache<string, KeyObject>({ max: KEY_CACHE_SIZE });
  /**
   * Heartbeat MAC keys by node id, as this instance last saw them. A node that registers again
   * (perhaps through another instance) gets a new key: a MAC the kept key does not verify is
   * checked once more against the store's.
   */
  readonly #heartbeatKeys = new LRUCache<string, Buffer>({ max: KEY_CACHE_SIZE });

  constructor(options: NodeRegistryOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'node-registry' });
  }

  /**
   * Registers the node whose key signed the registration; registering again with the same key
   * refreshes the node's record and keeps its sessions.
   */
  async register(operatorId: string, registration: SignedRegistration): Promise<NodeRegistered> {
    const { nodeRegistrations } = this.#options.metrics;
    try {
      const registered = await this.#register(operatorId, registration);
      nodeRegistrations.inc({ outcome: 'accepted' });
      return registered;
    } catch (error) {
      nodeRegistrations.inc({ outcome: error instanceof AppError ? error.code.toLowerCase() : 'error' });
      throw error;
    }
  }

  async #register(operatorId: string, { payload, signature }: SignedRegistration): Promise<NodeRegistered> {
    const { store, tickets, heartbeatIntervalMs, nodeTtlMs } = this.#options;
    const { sentAt, activeSessions, ...registration } = payload;
    const nodeId = nodeIdForPublicKey(registration.publicKey);
    const log = this.#log.child({ nodeId });
    const key = parsePublicKey(registration.publicKey);
    if (!verifyPayload(payload, signature, key)) {
      log.warn({ operatorId }, 'registration refused: not signed with the key it registers');
      throw new AppError('SIGNATURE_INVALID', 'The registration must be signed with the private key of the publicKey it registers.');
    }
    const now = Date.now();
    if (Math.abs(sentAt - now) > MAX_CLOCK_SKEW_MS) {
      log.warn({ sentAt, now }, 'registration refused: clock skew');
      throw new AppError('REGISTRATION_CLOCK_SKEW', `The registration was sent at ${sentAt}; the control plane clock reads ${now}.`);
    }
    await this.#options.nodeKeys.checkNodeKey(nodeId);
    const heartbeatKey = generateHeartbeatKey();
    const record: NodeRecord = { nodeId, operatorId, ...registration, lastHeartbeatAt: now, heartbeatKey };
    const outcome = await store.upsertNode(record, nodeTtlMs);
    if (outcome === 'operator_mismatch') {
      log.warn({ operatorId }, 'registration refused: the node is live under another operator');
      throw new AppError('FORBIDDEN', 'This node is registered by another operator.');
    }
    await this.#options.nodeKeys.recordNodeOwner(nodeId, operatorId);
    this.#keys.set(nodeId, key);
    this.#heartbeatKeys.set(nodeId, Buffer.from(heartbeatKey, 'base64url'));
    const endSessions = activeSessions === undefined ? [] : await this.#options.reconciler.reconcile(nodeId, activeSessions, true);
    log.info({ outcome, name: registration.name, slots: registration.slots, signallingUrl: registration.signallingUrl }, 'node registered');
    return { nodeId, heartbeatIntervalMs, nodeTtlMs, ticketPublicJwk: tickets.publicJwk, ticketIssuer: TICKET_ISSUER, heartbeatKey, ...endList(endSessions) };
  }

  async heartbeat(nodeId: string, heartbeat: NodeHeartbeat): Promise<HeartbeatAck> {
    const { heartbeats } = this.#options.metrics;
    try {
      const ack = await this.#acceptHeartbeat(nodeId, heartbeat);
      heartbeats.inc({ outcome: 'accepted' });
      return ack;
    } catch (error) {
      heartbeats.inc({ outcome: error instanceof AppError ? error.code.toLowerCase() : 'error' });
      throw error;
    }
  }

  /**
   * Checks that the live node `nodeId` signed `payload` (a session report): NODE_NOT_FOUND once
   * it has expired, SIGNATURE_INVALID for another key's signature.
   */
  async authenticate(nodeId: string, payload: { nodeId: string }, signature: string): Promise<void> {
    checkNamesNode(nodeId, payload);
    this.#checkSignature(nodeId, payload, signature, await this.#liveNodeKey(nodeId), 'SIGNATURE_INVALID');
  }

  /**
   * Takes a revoked node out of placement now: no later heartbeat sequence number can be accepted
   * and its record lapses at once, so every instance refuses it without knowing of the revocation.
   */
  async endLiveness(nodeId: string): Promise<void> {
    this.#keys.delete(nodeId);
    this.#heartbeatKeys.delete(nodeId);
    await this.#options.store.acceptHeartbeat(nodeId, Number.MAX_SAFE_INTEGER, Date.now(), 1);
  }

  async #liveNodeKey(nodeId: string): Promise<KeyObject> {
    return parsePublicKey((await this.#liveNode(nodeId)).publicKey);
  }

  /** The live node's record, its keys kept for its next heartbeats; NODE_KEY_REVOKED or NODE_NOT_FOUND otherwise. */
  async #liveNode(nodeId: string): Promise<StoredNode> {
    const node = await this.#options.store.getNode(nodeId);
    if (node === null) {
      await this.#options.nodeKeys.checkNodeKey(nodeId);
      throw nodeNotFound();
    }
    this.#keys.set(nodeId, parsePublicKey(node.publicKey));
    if (node.heartbeatKey !== undefined) this.#heartbeatKeys.set(nodeId, Buffer.from(node.heartbeatKey, 'base64url'));
    return node;
  }

  async #checkMac(nodeId: string, payload: HeartbeatPayload, mac: string): Promise<void> {
    const kept = this.#heartbeatKeys.get(nodeId);
    if (kept !== undefined && verifyHeartbeatMac(payload, mac, kept)) return;
    const { heartbeatKey } = await this.#liveNode(nodeId);
    if (heartbeatKey === undefined || !verifyHeartbeatMac(payload, mac, Buffer.from(heartbeatKey, 'base64url'))) {
      this.#log.warn({ nodeId }, 'heartbeat MAC does not verify');
      throw new AppError('HEARTBEAT_MAC_INVALID');
    }
  }

  #checkSignature(nodeId: string, payload: unknown, signature: string, key: KeyObject, invalidCode: 'HEARTBEAT_SIGNATURE_INVALID' | 'SIGNATURE_INVALID'): void {
    if (!verifyPayload(payload, signature, key)) {
      this.#log.warn({ nodeId }, 'signature does not verify');
      throw new AppError(invalidCode);
    }
  }

  /** Every live node as the public sees it, and in full the nodes of `viewer` (an operator id; 'admin': every node; null: none). */
  async list(viewer: string | null): Promise<NodeList> {
    const { store } = this.#options;
    const nodes = await store.listNodes();
    const views = await Promise.all(
      nodes.map(async (node): Promise<NodeView> => {
        const slots = await store.nodeSlots(node.nodeId);
        const view: NodeView = {
          nodeId: node.nodeId,
          name: node.name,
          cell: latLngToCell(node.location.lat, node.location.lng, PUBLIC_CELL_RESOLUTION),
          gpu: node.gpu,
          slots: slots.capacity,
          freeSlots: slots.free,
        };
        if (viewer !== ADMIN_VIEWER && node.operatorId !== viewer) return view;
        return {
          ...view,
          location: node.location,
          reservedSlots: slots.reserved,
          busySlots: slots.busy,
          signallingUrl: node.signallingUrl,
          lastHeartbeatAt: node.lastHeartbeatAt,
        };
      }),
    );
    return { nodes: views };
  }

  async #acceptHeartbeat(nodeId: string, heartbeat: NodeHeartbeat): Promise<HeartbeatAck> {
    const { store, nodeTtlMs } = this.#options;
    const { payload } = heartbeat;
    checkNamesNode(nodeId, payload);
    if ('mac' in heartbeat) {
      await this.#checkMac(nodeId, payload, heartbeat.mac);
    } else {
      const key = this.#keys.get(nodeId) ?? (await this.#liveNodeKey(nodeId));
      this.#checkSignature(nodeId, payload, heartbeat.signature, key, 'HEARTBEAT_SIGNATURE_INVALID');
    }
    const now = Date.now();
    if (Math.abs(payload.sentAt - now) > MAX_CLOCK_SKEW_MS) {
      this.#log.warn({ nodeId, sentAt: payload.sentAt, now }, 'heartbeat refused: clock skew');
      throw new AppError('HEARTBEAT_CLOCK_SKEW', `The heartbeat was sent at ${payload.sentAt}; the control plane clock reads ${now}.`);
    }
    const outcome = await store.acceptHeartbeat(nodeId, payload.seq, now, nodeTtlMs);
    // Only a refused heartbeat pays for the revocation lookup: a revoked node's liveness was ended.
    if (outcome !== 'accepted') await this.#options.nodeKeys.checkNodeKey(nodeId);
    if (outcome === 'replayed') {
      this.#log.warn({ nodeId, seq: payload.seq }, 'heartbeat refused: sequence number not above the last one');
      throw new AppError('HEARTBEAT_REPLAYED');
    }
    if (outcome === 'unknown_node') throw nodeNotFound();
    const [endSessions, prefetch] = await Promise.all([
      this.#options.reconciler.reconcile(nodeId, payload.activeSessions, false),
      this.#options.prefetch?.take(nodeId) ?? [],
    ]);
    // No child logger per heartbeat: every node sends one every few seconds.
    this.#log.debug({ nodeId, seq: payload.seq }, 'heartbeat accepted');
    return { nodeId, seq: payload.seq, ...endList(endSessions), ...(prefetch.length > 0 ? { prefetch } : {}) };
  }
}

/** Answers carry `endSessions` only when there is something to end. */
function endList(endSessions: readonly string[]): { endSessions?: string[] } {
  return endSessions.length > 0 ? { endSessions: [...endSessions] } : {};
}

/** The signature covers the payload, not the URL: the payload must name the node the URL names. */
function checkNamesNode(nodeId: string, payload: { nodeId: string }): void {
  if (payload.nodeId !== nodeId) {
    throw new AppError('VALIDATION_FAILED', `The payload names node ${payload.nodeId}, the URL names ${nodeId}.`);
  }
}

function parsePublicKey(rawBase64Url: string): KeyObject {
  try {
    return publicKeyFromRaw(rawBase64Url);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'publicKey is not an Ed25519 public key.');
  }
}

/** A node learns it expired (missed heartbeats, or the store was reset) and must register again. */
function nodeNotFound(): AppError {
  return new AppError('NODE_NOT_FOUND', 'There is no live edge node with that id: register again.');
}
