/**
 * Edge nodes joining and staying in the network. Operators are not trusted: a node is known by its
 * Ed25519 key, and everything it sends, its registration included, is signed with that key.
 */
import type { KeyObject } from 'node:crypto';
import { latLngToCell } from 'h3-js';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../protocol/errors.js';
import type { HeartbeatAck, NodeList, NodeRegistered, NodeView, SignedHeartbeat, SignedRegistration } from '../../protocol/http.js';
import { publicKeyFromRaw, verifyPayload } from '../../protocol/signing.js';
import { TICKET_ISSUER } from '../../protocol/ticket.js';
import type { Logger } from '../logging/logger.js';
import type { ControlPlaneMetrics } from '../metrics/metrics.js';
import type { SessionReconciler } from '../sessions/session-reconciler.js';
import type { NodeRecord, Store } from '../store/store.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';
import { nodeIdForPublicKey } from './node-id.js';

/** How far a signed registration's or heartbeat's sentAt may be from our clock; bounds how long a captured one stays replayable. */
const MAX_CLOCK_SKEW_MS = 30_000;
/** The public sees where a node is only to this H3 resolution (cells of about 12,000 km²). */
const PUBLIC_CELL_RESOLUTION = 3;
/** Node keys kept per instance: a network's worth, a few hundred bytes each. */
const KEY_CACHE_SIZE = 100_000;

export interface NodeRegistryOptions {
  store: Store;
  tickets: TicketIssuer;
  /** Squares each node's books with the sessions its heartbeats and registrations say it runs. */
  reconciler: SessionReconciler;
  metrics: ControlPlaneMetrics;
  log: Logger;
  heartbeatIntervalMs: number;
  nodeTtlMs: number;
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

  constructor(options: NodeRegistryOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'node-registry' });
  }

  /**
   * Registers the node whose key signed the registration; registering again with the same key
   * refreshes the node's record and keeps its sessions.
   */
  async register(operatorId: string, { payload, signature }: SignedRegistration): Promise<NodeRegistered> {
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
    const record: NodeRecord = { nodeId, operatorId, ...registration, lastHeartbeatAt: now };
    const outcome = await store.upsertNode(record, nodeTtlMs);
    if (outcome === 'operator_mismatch') {
      log.warn({ operatorId }, 'registration refused: the node is live under another operator');
      throw new AppError('FORBIDDEN', 'This node is registered by another operator.');
    }
    this.#keys.set(nodeId, key);
    if (activeSessions !== undefined) await this.#options.reconciler.reconcile(nodeId, activeSessions, true);
    log.info({ outcome, name: registration.name, slots: registration.slots, signallingUrl: registration.signallingUrl }, 'node registered');
    return { nodeId, heartbeatIntervalMs, nodeTtlMs, ticketPublicJwk: tickets.publicJwk, ticketIssuer: TICKET_ISSUER };
  }

  async heartbeat(nodeId: string, heartbeat: SignedHeartbeat): Promise<HeartbeatAck> {
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

  async #liveNodeKey(nodeId: string): Promise<KeyObject> {
    const node = await this.#options.store.getNode(nodeId);
    if (node === null) throw nodeNotFound();
    const key = parsePublicKey(node.publicKey);
    this.#keys.set(nodeId, key);
    return key;
  }

  #checkSignature(nodeId: string, payload: unknown, signature: string, key: KeyObject, invalidCode: 'HEARTBEAT_SIGNATURE_INVALID' | 'SIGNATURE_INVALID'): void {
    if (!verifyPayload(payload, signature, key)) {
      this.#log.warn({ nodeId }, 'signature does not verify');
      throw new AppError(invalidCode);
    }
  }

  /** Every live node as the public sees it, and in full the nodes of `operatorId` (null: nobody's). */
  async list(operatorId: string | null): Promise<NodeList> {
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
        if (node.operatorId !== operatorId) return view;
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

  async #acceptHeartbeat(nodeId: string, { payload, signature }: SignedHeartbeat): Promise<HeartbeatAck> {
    const { store, nodeTtlMs } = this.#options;
    checkNamesNode(nodeId, payload);
    const key = this.#keys.get(nodeId) ?? (await this.#liveNodeKey(nodeId));
    this.#checkSignature(nodeId, payload, signature, key, 'HEARTBEAT_SIGNATURE_INVALID');
    const now = Date.now();
    if (Math.abs(payload.sentAt - now) > MAX_CLOCK_SKEW_MS) {
      this.#log.warn({ nodeId, sentAt: payload.sentAt, now }, 'heartbeat refused: clock skew');
      throw new AppError('HEARTBEAT_CLOCK_SKEW', `The heartbeat was sent at ${payload.sentAt}; the control plane clock reads ${now}.`);
    }
    const outcome = await store.acceptHeartbeat(nodeId, payload.seq, now, nodeTtlMs);
    if (outcome === 'replayed') {
      this.#log.warn({ nodeId, seq: payload.seq }, 'heartbeat refused: sequence number not above the last one');
      throw new AppError('HEARTBEAT_REPLAYED');
    }
    if (outcome === 'unknown_node') throw nodeNotFound();
    await this.#options.reconciler.reconcile(nodeId, payload.activeSessions, false);
    // No child logger per heartbeat: every node sends one every few seconds.
    this.#log.debug({ nodeId, seq: payload.seq }, 'heartbeat accepted');
    return { nodeId, seq: payload.seq };
  }
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
