/**
 * The store over Redis or Redis Cluster, shared by every control plane instance. Keys that a script
 * touches together share a hash tag, so each script runs on one Cluster slot; cells and nodes are
 * tagged apart, so the index and the nodes spread over the Cluster's shards. Commands are
 * auto-pipelined: the reads a search fans out over many cells cost one round trip.
 *
 * Keys, after the prefix:
 *   {node:<id>}:node        hash: record and summary JSON, slots, hb, seq, operator, cells, indexedAt,
 *                           builds (JSON: the cached builds a heartbeat reported since the record) (node TTL)
 *   {node:<id>}:reserved    sorted set: session id -> reservation expiry (follows the node TTL)
 *   {node:<id>}:busy        set of session ids (follows the node TTL)
 *   {node:<id>}:builds      set of cached build ids (follows the node TTL)
 *   {node:<id>}:reputation  the control plane's judgement of the node (no TTL)
 *   {node:<id>}:booked      set of the session ids reserved or busy on the node (no TTL: names the
 *                           sessions to end once the node is gone)
 *   {cell:<h3>}:nodes       GEO set of the nodes in an H3 cell, one cell per index resolution
 *   {cell:<h3>}:entries     hash: node id -> index entry, what a search needs (redis-scripts.ts); searched cells only
 *   nodes                   sorted set: node id -> expiry, behind GET /v1/nodes
 *   session:<id>            hash (24 h)
 *   placement:<id>          hash: state, and the other fields as JSON
 *   player:<id>:placing     the placement that holds the player
 *   {queue:<name>}:entries|lapses|stats   a placement queue (redis-scripts.ts)
 *
 * Channel, after the prefix: index-entries, each node's entry as its scripts change it, which
 * feeds the instances' index replicas (replicateIndex).
 */
import { Cluster, Redis } from 'ioredis';
import type { GeoPoint, SessionEndReason, SessionState } from '../../protocol/http.js';
import { allFineSearchCells, indexCells, isSearchedCell } from '../matchmaker/cell-index.js';
import type { Logger } from '../logging/logger.js';
import { decodeIndexEntry, entryLiveUntil, entrySummary, type StoredSummary } from './index-entry.js';
import { IndexReplica } from './index-replica.js';
import {
  acceptHeartbeatScript,
  activateSessionScript,
  adoptSessionsScript,
  claimPlayerScript,
  dequeueScript,
  dropIndexEntriesScript,
  enqueueScript,
  INDEX_CHANNEL,
  nodeSlotsScript,
  nodeSummariesScript,
  putEntriesScript,
  putHashScript,
  putIndexEntryScript,
  queueLengthScript,
  reconcileNodeSessionsScript,
  queueStandingScript,
  releasePlayerScript,
  releaseSlotScript,
  reserveSlotScript,
  searchCellsScript,
  setReputationScript,
  takeOrphansScript,
  transitionHashScript,
  upsertNodeScript,
} from './redis-scripts.js';
import {
  DEFAULT_NODE_REPUTATION,
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

export interface RedisStoreOptions {
  /** The store owns the client and quits it on close. */
  client: Redis | Cluster;
  /** Prepended to every key, so several deployments (or test runs) can share one Redis. */
  keyPrefix?: string;
  /**
   * A heartbeat rewrites its node's index entries at least this often (and a minute), and whenever
   * they would show the node lapsed within half its TTL, so they never show a live node as lapsed.
   * Rewriting also repairs: an instance that died between writing a node and indexing it, or a
   * search that dropped an entry just as its expired node registered again, would otherwise leave a
   * live node unfindable.
   */
  cellIndexRefreshMs?: number;
  /**
   * Searches read a replica of the cell index in this process (index-replica.ts), kept by a
   * subscription of its own that RedisStore.connect starts, instead of Redis; until the replica
   * has loaded (at connect, and again after the subscription reconnects) they read Redis.
   */
  replicateIndex?: boolean;
  /** How often the replica drops nodes that lapsed that long ago, here and from Redis (REPLICA_SWEEP_MS). */
  replicaSweepMs?: number;
  log?: Logger;
}

/** One Redis server, or the seed nodes of a Redis Cluster ("host:port" or redis:// URLs). */
export type RedisTarget = { redisUrl: string } | { redisCluster: string[] };

/**
 * Index entries outlive their node by this much before they are pruned: the index is written with
 * each instance's own clock, and the node hash, not the index, decides whether a node is live.
 */
const NODE_INDEX_GRACE_MS = 60_000;

/** Index entries are rewritten at least this often even when the TTL is long. */
const MAX_INDEX_REFRESH_MS = 60_000;

/** Redis GEO sets cover latitudes up to ±85.05°; a node nearer a pole is indexed at that latitude. */
const GEO_MAX_LATITUDE = 85.05112878;

/** Bulk registration sends this many nodes' commands at once: enough to fill pipelines, not memory. */
const BULK_UPSERT_CHUNK = 1_000;

/** A replica loads this many cells' entries at a time. */
const REPLICA_LOAD_CHUNK = 32;

/**
 * A replica drops, here and from Redis, nodes that lapsed this long ago: a search drops those it
 * meets, but nodes that left for good in a region nobody plays from would stay for ever.
 */
const REPLICA_SWEEP_MS = 60_000;

type StaticNodeFields = Omit<NodeRecord, 'nodeId' | 'slots' | 'lastHeartbeatAt' | 'operatorId'>;

/** Entries published while a replica loads, applied once it has. */
type PendingEntries = [nodeId: string, cells: readonly string[], entry: string][];

export class RedisStore implements Store {
  readonly #client: Redis | Cluster;
  readonly #prefix: string;
  readonly #cellIndexRefreshMs: number;
  readonly #log: Logger | undefined;
  readonly #replicateIndex: boolean;
  readonly #replicaSweepMs: number;
  /** The subscription that feeds the index replica. */
  #subscriber: Redis | Cluster | undefined;
  /** The replica searches read; undefined while none has loaded. */
  #replica: IndexReplica | undefined;
  /** Entries that arrived while a replica loads. */
  #pending: PendingEntries | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(options: RedisStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? 'ep:';
    this.#cellIndexRefreshMs = options.cellIndexRefreshMs ?? Infinity;
    this.#log = options.log;
    this.#replicateIndex = options.replicateIndex ?? false;
    this.#replicaSweepMs = options.replicaSweepMs ?? REPLICA_SWEEP_MS;
  }

  /**
   * The connection, for records of other kinds kept beside the store's keys (rate-limit counters,
   * operator accounts, the metering ledger); the store closes it.
   */
  get client(): Redis | Cluster {
    return this.#client;
  }

  /** What every key of this store starts with. */
  get keyPrefix(): string {
    return this.#prefix;
  }

  /** Connects and checks the server answers, so a wrong address fails at start rather than on first use. */
  static async connect(target: string | RedisTarget, options: Omit<RedisStoreOptions, 'client'> = {}): Promise<RedisStore> {
    const { log } = options;
    const resolved = typeof target === 'string' ? { redisUrl: target } : target;
    const client =
      'redisUrl' in resolved
        ? new Redis(resolved.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3, enableAutoPipelining: true })
        : new Cluster(resolved.redisCluster.map(clusterNode), {
            lazyConnect: true,
            enableAutoPipelining: true,
            redisOptions: { maxRetriesPerRequest: 3 },
          });
    // ioredis reconnects by itself; without a listener it would print each failure to the console.
    client.on('error', (error: Error) => log?.warn({ err: error }, 'redis connection error'));
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.disconnect();
      throw error;
    }
    const store = new RedisStore({ client, ...options });
    try {
      await store.#startReplica();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  async upsertNode(record: NodeRecord, ttlMs: number): Promise<UpsertNodeOutcome> {
    const { nodeId, slots, lastHeartbeatAt, operatorId, location, ...rest } = record;
    const cells = indexCells(location);
    const summary: StoredSummary = {
      location,
      gpuModel: rest.gpu.model,
      vramMb: rest.gpu.vramMb,
      encoders: rest.encoders,
      pricePerHour: rest.pricePerHour,
      signallingUrl: rest.signallingUrl,
    };
    const [outcome, previousCells, entry] = (await upsertNodeScript.run(this.#client, this.#nodeKeys(nodeId), [
      JSON.stringify({ location, ...rest } satisfies StaticNodeFields),
      slots,
      lastHeartbeatAt,
      operatorId,
      ttlMs,
      JSON.stringify(summary),
      cells.join(','),
      DEFAULT_NODE_REPUTATION,
      ...rest.builds,
    ])) as [UpsertNodeOutcome, string, string?];
    if (outcome === 'operator_mismatch' || entry === undefined) return outcome;
    const movedFrom = previousCells.split(',').filter((cell) => cell !== '' && !cells.includes(cell));
    await Promise.all([
      this.#indexNode(nodeId, ttlMs, location, cells, entry),
      ...movedFrom.map((cell) => dropIndexEntriesScript.run(this.#client, this.#cellKeys(cell), [nodeId])),
    ]);
    return outcome;
  }

  async upsertNodes(records: readonly NodeRecord[], ttlMs: number): Promise<UpsertNodeOutcome[]> {
    const outcomes: UpsertNodeOutcome[] = [];
    for (let start = 0; start < records.length; start += BULK_UPSERT_CHUNK) {
      const chunk = records.slice(start, start + BULK_UPSERT_CHUNK);
      outcomes.push(...(await Promise.all(chunk.map((record) => this.upsertNode(record, ttlMs)))));
    }
    return outcomes;
  }

  async getNode(nodeId: string): Promise<StoredNode | null> {
    const [node, , , , reputationKey] = this.#nodeKeys(nodeId);
    const [hash, reputation] = await Promise.all([this.#client.hgetall(node), this.#client.get(reputationKey)]);
    if (hash.record === undefined) return null;
    const fields = JSON.parse(hash.record) as StaticNodeFields;
    return {
      nodeId,
      ...fields,
      builds: hash.builds === undefined ? fields.builds : (JSON.parse(hash.builds) as string[]),
      operatorId: hash.operator ?? '',
      slots: Number(hash.slots),
      lastHeartbeatAt: Number(hash.hb),
      reputation: reputation === null ? DEFAULT_NODE_REPUTATION : Number(reputation),
    };
  }

  async listNodes(): Promise<StoredNode[]> {
    const indexKey = this.#nodeIndexKey();
    await this.#client.zremrangebyscore(indexKey, '-inf', Date.now() - NODE_INDEX_GRACE_MS);
    const nodeIds = await this.#client.zrange(indexKey, 0, -1);
    const nodes = await Promise.all(nodeIds.map((nodeId) => this.getNode(nodeId)));
    return nodes.filter((node): node is StoredNode => node !== null);
  }

  async setNodeReputation(nodeId: string, reputation: number): Promise<void> {
    await this.#reindex(nodeId, await setReputationScript.run(this.#client, this.#nodeKeys(nodeId), [reputation]));
  }

  async acceptHeartbeat(nodeId: string, seq: number, at: number, ttlMs: number, builds?: readonly string[]): Promise<HeartbeatOutcome> {
    const [outcome, entry, cells] = (await acceptHeartbeatScript.run(this.#client, this.#nodeKeys(nodeId), [
      seq,
      at,
      ttlMs,
      Math.min(this.#cellIndexRefreshMs, MAX_INDEX_REFRESH_MS),
      builds === undefined ? '' : JSON.stringify(builds),
      ...(builds ?? []),
    ])) as [HeartbeatOutcome, string?, string?];
    if (outcome !== 'accepted') return outcome;
    if (entry === undefined || cells === undefined) {
      await this.#client.zadd(this.#nodeIndexKey(), Date.now() + ttlMs, nodeId);
    } else {
      await this.#indexNode(nodeId, ttlMs, decodeIndexEntry(entry).summary.location, cells.split(','), entry);
    }
    return outcome;
  }

  async reserveSlot(nodeId: string, sessionId: string, ttlMs: number): Promise<Reservation | null> {
    const reply = (await reserveSlotScript.run(this.#client, this.#nodeKeys(nodeId), [sessionId, ttlMs])) as [number, string, string] | null;
    if (reply === null) return null;
    const [expiresAt, ...indexed] = reply;
    await this.#reindex(nodeId, indexed);
    return { expiresAt };
  }

  async activateSession(nodeId: string, sessionId: string): Promise<boolean> {
    const [busy, ...indexed] = (await activateSessionScript.run(this.#client, this.#nodeKeys(nodeId), [sessionId])) as [number, string?, string?];
    await this.#reindex(nodeId, indexed);
    return busy === 1;
  }

  async releaseSlot(nodeId: string, sessionId: string): Promise<boolean> {
    const [held, ...indexed] = (await releaseSlotScript.run(this.#client, this.#nodeKeys(nodeId), [sessionId])) as [number, string?, string?];
    await this.#reindex(nodeId, indexed);
    return held === 1;
  }

  async reconcileNodeSessions(nodeId: string, running: readonly string[], authoritative: boolean): Promise<NodeSessionsReconciled> {
    const [released, unknown, ...indexed] = (await reconcileNodeSessionsScript.run(this.#client, this.#nodeKeys(nodeId), [
      authoritative ? '1' : '0',
      ...running,
    ])) as [string[], string[], string?, string?];
    await this.#reindex(nodeId, indexed);
    return { released, unknown };
  }

  async adoptSessions(nodeId: string, sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    await this.#reindex(nodeId, await adoptSessionsScript.run(this.#client, this.#nodeKeys(nodeId), sessionIds));
  }

  async takeOrphanedSessions(): Promise<OrphanedSessions[]> {
    // The node list's scores are when each node lapses unless heard from again.
    const lapsed = await this.#client.zrangebyscore(this.#nodeIndexKey(), '-inf', Date.now());
    const taken = await Promise.all(
      lapsed.map(async (nodeId) => ({ nodeId, sessionIds: (await takeOrphansScript.run(this.#client, this.#nodeKeys(nodeId), [])) as string[] })),
    );
    return taken.filter((orphans) => orphans.sessionIds.length > 0);
  }

  async nodeSlots(nodeId: string): Promise<SlotCounts> {
    const [slots = 0, reserved = 0, busy = 0] = (await nodeSlotsScript.run(this.#client, this.#nodeKeys(nodeId), [])) as number[];
    return slotCounts(slots, reserved, busy);
  }

  async nearbyNodes(query: NearbyQuery): Promise<NearbyNodes> {
    // The instance's clock stands in for the server's: they differ by far less than a heartbeat.
    if (this.#replica !== undefined) return this.#replica.nearby(query, Date.now());
    const { center, radiusKm, perCellLimit, buildId, equivalentKm, equivalentRatio = 1 } = query;
    const answers = await Promise.all(
      this.#scriptGroups(query.cells).map(async (cells) => {
        const [now, complete, hits, entries] = (await searchCellsScript.run(this.#client, cells.flatMap((cell) => this.#cellKeys(cell)), [
          center.lng,
          geoLatitude(center.lat),
          radiusKm,
          perCellLimit,
          Math.min(equivalentKm, radiusKm),
          equivalentRatio,
        ])) as [number, string, [nodeId: string, distanceKm: string, cell: number][], (string | null)[]];
        const nodes = hits.map(([nodeId, distance, cell], i) => new IndexEntryNode(nodeId, cells[cell - 1] ?? '', Number(distance), entries[i] ?? null, buildId, now));
        return { nodes, completeKm: complete === '' ? radiusKm : Number(complete) };
      }),
    );
    return {
      nodes: answers.flatMap((answer) => answer.nodes).sort((a, b) => a.distanceKm - b.distanceKm),
      completeKm: Math.min(radiusKm, ...answers.map((answer) => answer.completeKm)),
    };
  }

  async indexedNodeCounts(cells: readonly string[]): Promise<number[]> {
    if (this.#replica !== undefined) return this.#replica.counts(cells);
    return Promise.all(cells.map((cell) => this.#client.zcard(this.#cellKeys(cell)[0])));
  }

  async nodeSummaries(nodeIds: readonly string[], buildId: string): Promise<(NodeSummary | null)[]> {
    type Reply = [summary: string, slots: number, reserved: number, busy: number, cached: number, reputation: string | null] | null;
    const groups = this.#scriptGroups(nodeIds);
    const replies = await Promise.all(
      groups.map(async (group) => (await nodeSummariesScript.run(this.#client, group.flatMap((nodeId) => this.#nodeKeys(nodeId)), [buildId])) as Reply[]),
    );
    return replies.flat().map((reply, i) => {
      if (reply === null) return null;
      const [summary, slots, reserved, busy, cached, reputation] = reply;
      return {
        nodeId: nodeIds[i] ?? '',
        ...(JSON.parse(summary) as StoredSummary),
        reputation: reputation === null ? DEFAULT_NODE_REPUTATION : Number(reputation),
        slots: slotCounts(slots, reserved, busy),
        buildCached: cached === 1,
      };
    });
  }

  async unindexNodes(entries: readonly Pick<IndexedNode, 'nodeId' | 'cell'>[]): Promise<void> {
    this.#replica?.dropLapsed(Date.now(), entries.map((entry) => entry.nodeId));
    await this.#dropFromCells(entries);
  }

  async putSession(record: SessionRecord, ttlMs: number): Promise<void> {
    await this.#putHash(this.#sessionKey(record.sessionId), encodeSession(record), ttlMs);
  }

  async getSession(sessionId: string): Promise<SessionRecord | null> {
    const hash = await this.#client.hgetall(this.#sessionKey(sessionId));
    return hash.state === undefined ? null : decodeSession(hash);
  }

  async transitionSession(sessionId: string, from: readonly SessionState[], patch: SessionPatch): Promise<SessionRecord | null> {
    const hash = await this.#transitionHash(this.#sessionKey(sessionId), from, encodeSession(patch), undefined);
    return hash === null ? null : decodeSession(hash);
  }

  async putPlacement(record: PlacementRecord, ttlMs: number): Promise<void> {
    await this.#putHash(this.#placementKey(record.placementId), encodePlacement(record), ttlMs);
  }

  async getPlacement(placementId: string): Promise<PlacementRecord | null> {
    const hash = await this.#client.hgetall(this.#placementKey(placementId));
    return hash.state === undefined ? null : decodePlacement(hash);
  }

  async transitionPlacement(
    placementId: string,
    from: readonly PlacementState[],
    patch: PlacementPatch,
    ttlMs?: number,
  ): Promise<PlacementRecord | null> {
    const hash = await this.#transitionHash(this.#placementKey(placementId), from, encodePlacement(patch), ttlMs);
    return hash === null ? null : decodePlacement(hash);
  }

  async claimPlayer(playerId: string, placementId: string, ttlMs: number, replacing?: string): Promise<string | null> {
    return (await claimPlayerScript.run(this.#client, [this.#claimKey(playerId)], [placementId, ttlMs, replacing ?? ''])) as string | null;
  }

  async releasePlayer(playerId: string, placementId: string): Promise<void> {
    await releasePlayerScript.run(this.#client, [this.#claimKey(playerId)], [placementId]);
  }

  async enqueue(queue: string, placementId: string, entryTtlMs: number, maxLength: number): Promise<QueueStanding | null> {
    return decodeStanding(await enqueueScript.run(this.#client, this.#queueKeys(queue), [placementId, entryTtlMs, maxLength]));
  }

  async queueStanding(queue: string, placementId: string, entryTtlMs: number): Promise<QueueStanding | null> {
    return decodeStanding(await queueStandingScript.run(this.#client, this.#queueKeys(queue), [placementId, entryTtlMs]));
  }

  async queueLength(queue: string): Promise<number> {
    return (await queueLengthScript.run(this.#client, this.#queueKeys(queue), [])) as number;
  }

  async dequeue(queue: string, placementId: string): Promise<void> {
    await dequeueScript.run(this.#client, this.#queueKeys(queue), [placementId]);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    this.#subscriber?.disconnect();
    await this.#client.quit();
  }

  /** Subscribes to the nodes' index entries and loads the replica; reloads it whenever the subscription reconnects. */
  async #startReplica(): Promise<void> {
    if (!this.#replicateIndex) return;
    const subscriber = this.#client.duplicate();
    this.#subscriber = subscriber;
    subscriber.on('error', (error: Error) => this.#log?.warn({ err: error }, 'redis subscription error'));
    subscriber.on('message', (_channel: string, message: string) => {
      const cellsAt = message.indexOf('\n');
      const entryAt = message.indexOf('\n', cellsAt + 1);
      this.#takeEntry(message.slice(0, cellsAt), message.slice(cellsAt + 1, entryAt).split(','), message.slice(entryAt + 1));
    });
    await subscriber.connect();
    await subscriber.subscribe(this.#prefix + INDEX_CHANNEL);
    // Messages published while the subscription was down are lost: only a fresh copy is whole again.
    subscriber.on('ready', () => {
      this.#loadReplica().catch((error: unknown) => this.#log?.error({ err: error }, 'index replica failed to reload; searches read Redis'));
    });
    await this.#loadReplica();
    this.#sweepTimer = setInterval(() => {
      this.#sweepReplica().catch((error: unknown) => this.#log?.warn({ err: error }, 'index replica sweep failed'));
    }, this.#replicaSweepMs).unref();
  }

  /** Reads every entry into a new replica; entries published meanwhile are applied after, in order. */
  async #loadReplica(): Promise<void> {
    const pending: PendingEntries = [];
    this.#replica = undefined;
    this.#pending = pending;
    const replica = new IndexReplica();
    const cells = allFineSearchCells();
    for (let start = 0; start < cells.length; start += REPLICA_LOAD_CHUNK) {
      const hashes = await Promise.all(cells.slice(start, start + REPLICA_LOAD_CHUNK).map((cell) => this.#client.hgetall(this.#cellKeys(cell)[1])));
      for (const hash of hashes) for (const [nodeId, entry] of Object.entries(hash)) replica.apply(nodeId, entry);
    }
    // A reconnection started a newer load.
    if (this.#pending !== pending) return;
    for (const [nodeId, nodeCells, entry] of pending) replica.apply(nodeId, entry, nodeCells);
    this.#pending = undefined;
    this.#replica = replica;
    this.#log?.info({ nodes: replica.size }, 'index replica loaded');
  }

  /** A node's new index entry, from this instance's own write or another's. */
  #takeEntry(nodeId: string, cells: readonly string[], entry: string): void {
    this.#replica?.apply(nodeId, entry, cells);
    this.#pending?.push([nodeId, cells, entry]);
  }

  async #sweepReplica(): Promise<void> {
    const replica = this.#replica;
    if (replica === undefined) return;
    const lapsed = replica.dropLapsed(Date.now() - this.#replicaSweepMs);
    await this.#dropFromCells(lapsed.flatMap(({ nodeId, cells }) => cells.map((cell) => ({ nodeId, cell }))));
  }

  async #dropFromCells(entries: readonly Pick<IndexedNode, 'nodeId' | 'cell'>[]): Promise<void> {
    const byCell = new Map<string, string[]>();
    for (const { nodeId, cell } of entries) byCell.set(cell, [...(byCell.get(cell) ?? []), nodeId]);
    await Promise.all([...byCell].map(([cell, nodeIds]) => dropIndexEntriesScript.run(this.#client, this.#cellKeys(cell), nodeIds)));
  }

  #nodeKeys(nodeId: string): [node: string, reserved: string, busy: string, builds: string, reputation: string, booked: string] {
    const tag = `${this.#prefix}{node:${nodeId}}`;
    return [`${tag}:node`, `${tag}:reserved`, `${tag}:busy`, `${tag}:builds`, `${tag}:reputation`, `${tag}:booked`];
  }

  #cellKeys(cell: string): [nodes: string, entries: string] {
    const tag = `${this.#prefix}{cell:${cell}}`;
    return [`${tag}:nodes`, `${tag}:entries`];
  }

  #nodeIndexKey(): string {
    return `${this.#prefix}nodes`;
  }

  #sessionKey(sessionId: string): string {
    return `${this.#prefix}session:${sessionId}`;
  }

  #placementKey(placementId: string): string {
    return `${this.#prefix}placement:${placementId}`;
  }

  #claimKey(playerId: string): string {
    return `${this.#prefix}player:${playerId}:placing`;
  }

  #queueKeys(queue: string): [entries: string, lapses: string, stats: string] {
    const tag = `${this.#prefix}{queue:${queue}}`;
    return [`${tag}:entries`, `${tag}:lapses`, `${tag}:stats`];
  }

  /** Lists the node and puts it with its index entry in its cells, in one round trip. */
  async #indexNode(nodeId: string, ttlMs: number, location: GeoPoint, cells: readonly string[], entry: string): Promise<void> {
    this.#takeEntry(nodeId, cells, entry);
    await Promise.all([
      this.#client.zadd(this.#nodeIndexKey(), Date.now() + ttlMs, nodeId),
      ...cells.map((cell) =>
        isSearchedCell(cell)
          ? putIndexEntryScript.run(this.#client, this.#cellKeys(cell), [location.lng, geoLatitude(location.lat), nodeId, entry])
          : this.#client.geoadd(this.#cellKeys(cell)[0], location.lng, geoLatitude(location.lat), nodeId),
      ),
    ]);
  }

  /**
   * Writes the entry a node script returned ({ entry, cells }, or nothing when unchanged) to the
   * node's searched cells. The node has not moved (only registration moves it), so its place in the
   * GEO sets stands; were the entry missing there, the next heartbeat's rewrite puts it back.
   */
  async #reindex(nodeId: string, indexed: unknown): Promise<void> {
    const [entry, cells] = indexed as [string?, string?];
    if (entry === undefined || cells === undefined) return;
    this.#takeEntry(nodeId, cells.split(','), entry);
    const searched = cells.split(',').filter(isSearchedCell);
    await Promise.all(this.#scriptGroups(searched).map((group) => putEntriesScript.run(this.#client, group.flatMap((cell) => this.#cellKeys(cell)), [nodeId, entry])));
  }

  /**
   * Cells (or nodes) in groups that one script may take together: all of them on one Redis; one
   * each on a Cluster, where each one's keys hash to a slot of their own.
   */
  #scriptGroups(ids: readonly string[]): string[][] {
    if (this.#client instanceof Cluster) return ids.map((id) => [id]);
    return ids.length === 0 ? [] : [[...ids]];
  }

  async #putHash(key: string, hash: Record<string, string>, ttlMs: number): Promise<void> {
    await putHashScript.run(this.#client, [key], [ttlMs, ...Object.entries(hash).flat()]);
  }

  async #transitionHash(key: string, from: readonly string[], patch: Record<string, string>, ttlMs: number | undefined): Promise<Record<string, string> | null> {
    const flatHash = await transitionHashScript.run(this.#client, [key], [from.join(','), ttlMs ?? '', ...Object.entries(patch).flat()]);
    if (!Array.isArray(flatHash)) return null;
    const hash: Record<string, string> = {};
    for (let i = 0; i + 1 < flatHash.length; i += 2) hash[String(flatHash[i])] = String(flatHash[i + 1]);
    return hash;
  }
}

/**
 * A node found in a cell, its summary parsed only when asked for: a search reads more entries
 * than it classifies.
 */
class IndexEntryNode implements IndexedNode {
  #summary: NodeSummary | null | undefined;

  constructor(
    readonly nodeId: string,
    readonly cell: string,
    readonly distanceKm: number,
    private readonly entry: string | null,
    private readonly buildId: string,
    private readonly now: number,
  ) {}

  get summary(): NodeSummary | null {
    if (this.#summary === undefined) {
      const { entry, now } = this;
      // An entry that lapsed (its node's TTL passed) only waits for a reader to drop it.
      const live = entry !== null && entryLiveUntil(entry) > now;
      this.#summary = live ? entrySummary(this.nodeId, decodeIndexEntry(entry), this.buildId, now) : null;
    }
    return this.#summary;
  }
}

function geoLatitude(latitude: number): number {
  return Math.max(-GEO_MAX_LATITUDE, Math.min(GEO_MAX_LATITUDE, latitude));
}

export function clusterNode(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `redis://${address}`);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

function decodeStanding(reply: unknown): QueueStanding | null {
  if (!Array.isArray(reply)) return null;
  const [position, length, mean] = reply as [number, number, string | null | undefined];
  return { position, length, meanDepartureIntervalMs: mean === null || mean === undefined ? null : Number(mean) };
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

/** `state` stays plain, for the transition script to compare; every other field is JSON. */
function encodePlacement(record: Partial<PlacementRecord>): Record<string, string> {
  const hash: Record<string, string> = {};
  for (const [field, value] of Object.entries(record)) {
    if (value !== undefined) hash[field] = field === 'state' ? String(value) : JSON.stringify(value);
  }
  return hash;
}

function decodePlacement(hash: Record<string, string>): PlacementRecord {
  const record: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(hash)) record[field] = field === 'state' ? value : JSON.parse(value);
  return record as unknown as PlacementRecord;
}
