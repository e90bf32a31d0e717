/**
 * The store over Redis, shared by every control plane instance. A node's keys carry the hash tag
 * `{node:<id>}` so the scripts that touch them together stay on one Cluster slot.
 */
import { Redis, type Cluster } from 'ioredis';
import type { SessionEndReason, SessionState } from '../../protocol/http.js';
import type { Logger } from '../logging/logger.js';
import {
  acceptHeartbeatScript,
  activateSessionScript,
  nodeSlotsScript,
  releaseSlotScript,
  reserveSlotScript,
  transitionSessionScript,
  upsertNodeScript,
} from './redis-scripts.js';
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

export interface RedisStoreOptions {
  /** The store owns the client and quits it on close. */
  client: Redis | Cluster;
  /** Prepended to every key, so several deployments (or test runs) can share one Redis. */
  keyPrefix?: string;
}

/**
 * Index entries outlive their node by this much before they are pruned: the index is written with
 * each instance's own clock, and the node hash, not the index, decides whether a node is live.
 */
const NODE_INDEX_GRACE_MS = 60_000;

type StaticNodeFields = Omit<NodeRecord, 'nodeId' | 'slots' | 'lastHeartbeatAt' | 'operatorId'>;

export class RedisStore implements Store {
  readonly #client: Redis | Cluster;
  readonly #prefix: string;

  constructor(options: RedisStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? 'ep:';
  }

  /** Connects and checks the server answers, so a wrong URL fails at start rather than on first use. */
  static async connect(redisUrl: string, options: { keyPrefix?: string; log?: Logger } = {}): Promise<RedisStore> {
    const { keyPrefix, log } = options;
    const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
    // ioredis reconnects by itself; without a listener it would print each failure to the console.
    client.on('error', (error: Error) => log?.warn({ err: error }, 'redis connection error'));
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.disconnect();
      throw error;
    }
    return new RedisStore({ client, keyPrefix });
  }

  async upsertNode(record: NodeRecord, ttlMs: number): Promise<UpsertNodeOutcome> {
    const { nodeId, slots, lastHeartbeatAt, operatorId, ...fields } = record;
    const outcome = await upsertNodeScript.run(this.#client, this.#nodeKeys(nodeId), [
      JSON.stringify(fields satisfies StaticNodeFields),
      slots,
      lastHeartbeatAt,
      operatorId,
      ttlMs,
    ]);
    if (outcome !== 'operator_mismatch') await this.#indexNode(nodeId, ttlMs);
    return outcome as UpsertNodeOutcome;
  }

  async getNode(nodeId: string): Promise<NodeRecord | null> {
    const hash = await this.#client.hgetall(this.#nodeKeys(nodeId)[0]);
    if (hash.record === undefined) return null;
    const fields = JSON.parse(hash.record) as StaticNodeFields;
    return {
      nodeId,
      ...fields,
      operatorId: hash.operator ?? '',
      slots: Number(hash.slots),
      lastHeartbeatAt: Number(hash.hb),
    };
  }

  async listNodes(): Promise<NodeRecord[]> {
    const indexKey = this.#nodeIndexKey();
    await this.#client.zremrangebyscore(indexKey, '-inf', Date.now() - NODE_INDEX_GRACE_MS);
    const nodeIds = await this.#client.zrange(indexKey, 0, -1);
    const nodes = await Promise.all(nodeIds.map((nodeId) => this.getNode(nodeId)));
    return nodes.filter((node): node is NodeRecord => node !== null);
  }

  async acceptHeartbeat(nodeId: string, seq: number, at: number, ttlMs: number): Promise<HeartbeatOutcome> {
    const outcome = (await acceptHeartbeatScript.run(this.#client, this.#nodeKeys(nodeId), [seq, at, ttlMs])) as HeartbeatOutcome;
    if (outcome === 'accepted') await this.#indexNode(nodeId, ttlMs);
    return outcome;
  }

  async reserveSlot(nodeId: string, sessionId: string, ttlMs: number): Promise<Reservation | null> {
    const expiresAt = await reserveSlotScript.run(this.#client, this.#nodeKeys(nodeId), [sessionId, ttlMs]);
    return typeof expiresAt === 'number' ? { expiresAt } : null;
  }

  async activateSession(nodeId: string, sessionId: string): Promise<boolean> {
    return (await activateSessionScript.run(this.#client, this.#nodeKeys(nodeId), [sessionId])) === 1;
  }

  async releaseSlot(nodeId: string, sessionId: string): Promise<boolean> {
    return ((await releaseSlotScript.run(this.#client, this.#nodeKeys(nodeId), [sessionId])) as number) > 0;
  }

  async nodeSlots(nodeId: string): Promise<SlotCounts> {
    const [slots = 0, reserved = 0, busy = 0] = (await nodeSlotsScript.run(this.#client, this.#nodeKeys(nodeId), [])) as number[];
    return slotCounts(slots, reserved, busy);
  }

  async putSession(record: SessionRecord, ttlMs: number): Promise<void> {
    const key = this.#sessionKey(record.sessionId);
    const results = await this.#client.multi().del(key).hset(key, encodeSession(record)).pexpire(key, ttlMs).exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0];
  }

  async getSession(sessionId: string): Promise<SessionRecord | null> {
    const hash = await this.#client.hgetall(this.#sessionKey(sessionId));
    return hash.state === undefined ? null : decodeSession(hash);
  }

  async transitionSession(sessionId: string, from: readonly SessionState[], patch: SessionPatch): Promise<SessionRecord | null> {
    const fieldValues = Object.entries(encodeSession(patch)).flat();
    const flatHash = await transitionSessionScript.run(this.#client, [this.#sessionKey(sessionId)], [from.join(','), ...fieldValues]);
    if (!Array.isArray(flatHash)) return null;
    const hash: Record<string, string> = {};
    for (let i = 0; i + 1 < flatHash.length; i += 2) hash[String(flatHash[i])] = String(flatHash[i + 1]);
    return decodeSession(hash);
  }

  async close(): Promise<void> {
    await this.#client.quit();
  }

  #nodeKeys(nodeId: string): [node: string, reserved: string, busy: string] {
    const tag = `${this.#prefix}{node:${nodeId}}`;
    return [`${tag}:node`, `${tag}:reserved`, `${tag}:busy`];
  }

  #nodeIndexKey(): string {
    return `${this.#prefix}nodes`;
  }

  #sessionKey(sessionId: string): string {
    return `${this.#prefix}session:${sessionId}`;
  }

  async #indexNode(nodeId: string, ttlMs: number): Promise<void> {
    await this.#client.zadd(this.#nodeIndexKey(), Date.now() + ttlMs, nodeId);
  }
}

function encodeSession(record: Partial<SessionRecord>): Record<string, string> {
  const hash: Record<string, string> = {};
  for (const [field, value] of Object.entries(record)) {
    if (value === undefined) continue;
    hash[field] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return hash;
}

function decodeSession(hash: Record<string, string>): SessionRecord {
  const record: SessionRecord = {
    sessionId: hash.sessionId ?? '',
    nodeId: hash.nodeId ?? '',
    playerId: hash.playerId ?? '',
    gameId: hash.gameId ?? '',
    buildId: hash.buildId ?? '',
    state: hash.state as SessionState,
    createdAt: Number(hash.createdAt),
    reservationExpiresAt: Number(hash.reservationExpiresAt),
  };
  if (hash.startedAt !== undefined) record.startedAt = Number(hash.startedAt);
  if (hash.endedAt !== undefined) record.endedAt = Number(hash.endedAt);
  if (hash.endReason !== undefined) record.endReason = hash.endReason as SessionEndReason;
  if (hash.usage !== undefined) record.usage = JSON.parse(hash.usage) as SessionRecord['usage'];
  return record;
}
