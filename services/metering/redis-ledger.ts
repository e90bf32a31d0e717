/**
 * The ledger on Redis (or a Redis Cluster): one hash per session whose fields are written once
 * (HSETNX), sorted sets to find an operator's and a node's sessions and checks by time. Durable
 * only as far as Redis is: run it with appendonly on (infra/redis).
 */
import type { Cluster, Redis } from 'ioredis';
import { canonicalJson } from '../../protocol/canonical-json.js';
import { LuaScript } from '../store/lua-script.js';
import type { RedisStore } from '../store/redis-store.js';
import type { AppendOutcome, CheckEntry, Ledger, LedgerSession, NodeUsageEntry, PlayerUsageEntry, ResolutionEntry, SessionBinding } from './ledger.js';

type Client = Redis | Cluster;

/** Check and add in one step, so two registrations racing cannot both take the last place. */
const admitMemberScript = new LuaScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`);

export class RedisLedger implements Ledger {
  readonly #client: Client;
  readonly #prefix: string;

  /** Keeps its keys beside the store's, on the store's connection (which the store closes). */
  constructor(store: Pick<RedisStore, 'client' | 'keyPrefix'>) {
    this.#client = store.client;
    this.#prefix = `${store.keyPrefix}ledger:`;
  }

  async bind(binding: SessionBinding): Promise<AppendOutcome> {
    return this.#setOnce(this.#sessionKey(binding.sessionId), 'binding', binding);
  }

  async session(sessionId: string): Promise<LedgerSession> {
    const [binding, node, player, resolution] = await this.#client.hmget(this.#sessionKey(sessionId), 'binding', 'node', 'player', 'resolution');
    return {
      binding: parse<SessionBinding>(binding),
      node: parse<NodeUsageEntry>(node),
      player: parse<PlayerUsageEntry>(player),
      resolution: parse<ResolutionEntry>(resolution),
    };
  }

  async appendNodeUsage(sessionId: string, entry: NodeUsageEntry): Promise<AppendOutcome> {
    const outcome = await this.#setOnce(this.#sessionKey(sessionId), 'node', entry, (stored) => stored.record);
    if (outcome !== 'conflict') {
      // Indexed after the record, and again on a repeat: a crash in between heals when the node retries.
      const { nodeId, endedAt } = entry.record.payload;
      await Promise.all([
        this.#client.zadd(`${this.#prefix}op:${entry.operatorId}`, endedAt, sessionId),
        this.#client.zadd(`${this.#prefix}ns:${nodeId}`, endedAt, sessionId),
        this.#client.sadd(`${this.#prefix}opn:${entry.operatorId}`, nodeId),
      ]);
    }
    return outcome;
  }

  async appendPlayerUsage(sessionId: string, entry: PlayerUsageEntry): Promise<AppendOutcome> {
    return this.#setOnce(this.#sessionKey(sessionId), 'player', entry, (stored) => stored.record);
  }

  async operatorSessions(operatorId: string, from: number, to: number): Promise<string[]> {
    return this.#client.zrangebyscore(`${this.#prefix}op:${operatorId}`, from, to);
  }

  async operatorNodes(operatorId: string): Promise<string[]> {
    return this.#client.smembers(`${this.#prefix}opn:${operatorId}`);
  }

  async nodeSessions(nodeId: string, limit: number): Promise<string[]> {
    return this.#client.zrange(`${this.#prefix}ns:${nodeId}`, -limit, -1);
  }

  async indexFlagged(sessionId: string, endedAt: number): Promise<void> {
    await this.#client.zadd(`${this.#prefix}flagged`, endedAt, sessionId);
  }

  async flaggedSessions(from: number, to: number): Promise<string[]> {
    return this.#client.zrangebyscore(`${this.#prefix}flagged`, from, to);
  }

  async appendResolution(sessionId: string, entry: ResolutionEntry): Promise<AppendOutcome> {
    return this.#setOnce(this.#sessionKey(sessionId), 'resolution', entry, (stored) => stored.resolution);
  }

  async appendCheck(entry: CheckEntry): Promise<AppendOutcome> {
    const { checkId, nodeId, finishedAt } = entry.result.payload;
    const outcome = await this.#setOnce(`${this.#prefix}c:${checkId}`, 'check', entry, (stored) => stored.result);
    if (outcome !== 'conflict') await this.#client.zadd(`${this.#prefix}nc:${nodeId}`, finishedAt, checkId);
    return outcome;
  }

  async nodeChecks(nodeId: string, limit: number): Promise<CheckEntry[]> {
    const ids = await this.#client.zrange(`${this.#prefix}nc:${nodeId}`, -limit, -1);
    const entries = await Promise.all(ids.map((id) => this.#client.hget(`${this.#prefix}c:${id}`, 'check')));
    return entries.map((entry) => parse<CheckEntry>(entry)).filter((entry): entry is CheckEntry => entry !== null);
  }

  async admitMember(key: string, member: string, max: number, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const admitted = (await admitMemberScript.run(this.#client, [`${this.#prefix}m:${key}`], [member, max, now, now + ttlMs, ttlMs])) as number;
    return admitted === 1;
  }

  /** The connection is the store's. */
  async close(): Promise<void> {}

  #sessionKey(sessionId: string): string {
    return `${this.#prefix}s:{${sessionId}}`;
  }

  /** Writes the field once; a later write is a duplicate when `signed` of both are the same bytes. */
  async #setOnce<T>(key: string, field: string, value: T, signed: (stored: T) => unknown = (stored) => stored): Promise<AppendOutcome> {
    if ((await this.#client.hsetnx(key, field, JSON.stringify(value))) === 1) return 'appended';
    const stored = parse<T>(await this.#client.hget(key, field));
    return stored !== null && canonicalJson(signed(stored)) === canonicalJson(signed(value)) ? 'duplicate' : 'conflict';
  }
}

function parse<T>(text: string | null | undefined): T | null {
  return text === null || text === undefined ? null : (JSON.parse(text) as T);
}
