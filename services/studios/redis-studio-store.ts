/**
 * The studio store on Redis or a Redis Cluster. Keys of one game share the hash tag {g:<id>} and
 * keys of one studio {s:<id>}, so the scripts that read and write a channel touch one slot.
 * A channel is one hash field, "version|previous|previous...", so moving and rolling back are
 * single scripts without JSON in Lua.
 */
import { Cluster, Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import { LuaScript } from '../store/lua-script.js';
import { clusterNode, type RedisTarget } from '../store/redis-store.js';
import {
  RECENT_SESSIONS_KEPT,
  type ApiKeyRecord,
  type BuildRecord,
  type ChannelRecord,
  type StudioRecord,
  type StudioStore,
  type VersionRecord,
} from './studio-store.js';

const moveChannelScript = new LuaScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
local value = ARGV[2]
if current then
  if string.match(current, '^[^|]*') == ARGV[2] then value = current else value = ARGV[2] .. '|' .. current end
end
redis.call('HSET', KEYS[1], ARGV[1], value)
return value
`);

const rollbackChannelScript = new LuaScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return false end
local rest = string.match(current, '^[^|]*|(.*)$')
if not rest then return false end
redis.call('HSET', KEYS[1], ARGV[1], rest)
return rest
`);

export class RedisStudioStore implements StudioStore {
  readonly #client: Redis | Cluster;
  readonly #prefix: string;

  constructor(client: Redis | Cluster, keyPrefix = 'ep:') {
    this.#client = client;
    this.#prefix = `${keyPrefix}studio:`;
  }

  static async connect(target: RedisTarget, options: { keyPrefix?: string; log?: Logger } = {}): Promise<RedisStudioStore> {
    const client =
      'redisUrl' in target
        ? new Redis(target.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 })
        : new Cluster(target.redisCluster.map(clusterNode), {
            lazyConnect: true,
            redisOptions: { maxRetriesPerRequest: 3 },
          });
    client.on('error', (error: Error) => options.log?.warn({ err: error }, 'redis connection error (studio store)'));
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.disconnect();
      throw error;
    }
    return new RedisStudioStore(client, options.keyPrefix);
  }

  #key(...parts: string[]): string {
    return this.#prefix + parts.join(':');
  }

  async createStudio(record: StudioRecord): Promise<boolean> {
    const taken = await this.#client.set(this.#key('name', record.name.toLowerCase()), record.studioId, 'NX');
    if (taken === null) return false;
    await this.#client.set(this.#key(`{s:${record.studioId}}`), JSON.stringify(record));
    return true;
  }

  async getStudio(studioId: string): Promise<StudioRecord | null> {
    return parse<StudioRecord>(await this.#client.get(this.#key(`{s:${studioId}}`)));
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    await this.#client.set(this.#key('apikey', record.digest), JSON.stringify(record));
    await this.#client.hset(this.#key(`{s:${record.studioId}}`, 'keys'), record.keyId, record.digest);
  }

  async apiKeyByDigest(digest: string): Promise<ApiKeyRecord | null> {
    return parse<ApiKeyRecord>(await this.#client.get(this.#key('apikey', digest)));
  }

  async listApiKeys(studioId: string): Promise<ApiKeyRecord[]> {
    const digests = Object.values(await this.#client.hgetall(this.#key(`{s:${studioId}}`, 'keys')));
    const records = await Promise.all(digests.map((digest) => this.apiKeyByDigest(digest)));
    return records.filter((record): record is ApiKeyRecord => record !== null).sort((a, b) => a.createdAt - b.createdAt);
  }

  async revokeApiKey(studioId: string, keyId: string, at: number): Promise<ApiKeyRecord | null> {
    const digest = await this.#client.hget(this.#key(`{s:${studioId}}`, 'keys'), keyId);
    const record = digest === null ? null : await this.apiKeyByDigest(digest);
    if (record === null || record.studioId !== studioId) return null;
    record.revokedAt ??= at;
    await this.#client.set(this.#key('apikey', record.digest), JSON.stringify(record));
    return record;
  }

  async claimGame(gameId: string, studioId: string): Promise<string> {
    const key = this.#key(`{g:${gameId}}`, 'owner');
    if ((await this.#client.set(key, studioId, 'NX')) === null) return (await this.#client.get(key)) ?? studioId;
    await this.#client.sadd(this.#key(`{s:${studioId}}`, 'games'), gameId);
    return studioId;
  }

  async gameOwner(gameId: string): Promise<string | null> {
    return this.#client.get(this.#key(`{g:${gameId}}`, 'owner'));
  }

  async studioGames(studioId: string): Promise<string[]> {
    return (await this.#client.smembers(this.#key(`{s:${studioId}}`, 'games'))).sort();
  }

  async putBuild(record: BuildRecord): Promise<BuildRecord> {
    const key = this.#key('build', record.buildId);
    if ((await this.#client.set(key, JSON.stringify(record), 'NX')) === null) return (await this.getBuild(record.buildId)) ?? record;
    await this.#client.sadd(this.#key(`{s:${record.studioId}}`, 'builds'), record.buildId);
    return record;
  }

  async getBuild(buildId: string): Promise<BuildRecord | null> {
    return parse<BuildRecord>(await this.#client.get(this.#key('build', buildId)));
  }

  async studioBuilds(studioId: string): Promise<BuildRecord[]> {
    const ids = await this.#client.smembers(this.#key(`{s:${studioId}}`, 'builds'));
    const builds = await Promise.all(ids.map((id) => this.getBuild(id)));
    return builds.filter((build): build is BuildRecord => build !== null).sort((a, b) => a.uploadedAt - b.uploadedAt);
  }

  async claimVersion(record: VersionRecord): Promise<VersionRecord> {
    const key = this.#key(`{g:${record.gameId}}`, 'versions');
    // Publishing is recorded apart (the published hash): a version is claimed unpublished.
    const unpublished: VersionRecord = { gameId: record.gameId, version: record.version, buildId: record.buildId, uploadedAt: record.uploadedAt };
    if ((await this.#client.hsetnx(key, record.version, JSON.stringify(unpublished))) === 1) return unpublished;
    return (await this.getVersion(record.gameId, record.version)) ?? unpublished;
  }

  async getVersion(gameId: string, version: string): Promise<VersionRecord | null> {
    const [stored, publishedAt] = await Promise.all([
      this.#client.hget(this.#key(`{g:${gameId}}`, 'versions'), version),
      this.#client.hget(this.#key(`{g:${gameId}}`, 'published'), version),
    ]);
    return withPublished(parse<VersionRecord>(stored), publishedAt);
  }

  async listVersions(gameId: string): Promise<VersionRecord[]> {
    const [stored, published] = await Promise.all([
      this.#client.hgetall(this.#key(`{g:${gameId}}`, 'versions')),
      this.#client.hgetall(this.#key(`{g:${gameId}}`, 'published')),
    ]);
    return Object.entries(stored)
      .map(([version, json]) => withPublished(parse<VersionRecord>(json), published[version] ?? null))
      .filter((record): record is VersionRecord => record !== null)
      .sort((a, b) => a.uploadedAt - b.uploadedAt);
  }

  async markPublished(gameId: string, version: string, at: number): Promise<VersionRecord | null> {
    if ((await this.#client.hexists(this.#key(`{g:${gameId}}`, 'versions'), version)) === 0) return null;
    await this.#client.hsetnx(this.#key(`{g:${gameId}}`, 'published'), version, String(at));
    return this.getVersion(gameId, version);
  }

  async moveChannel(gameId: string, channel: string, version: string): Promise<ChannelRecord> {
    const value = (await moveChannelScript.run(this.#client, [this.#key(`{g:${gameId}}`, 'channels')], [channel, version])) as string;
    await this.#client.sadd(this.#key('published-games'), gameId);
    return channelRecord(channel, value);
  }

  async rollbackChannel(gameId: string, channel: string): Promise<ChannelRecord | null> {
    const value = (await rollbackChannelScript.run(this.#client, [this.#key(`{g:${gameId}}`, 'channels')], [channel])) as string | null;
    return value === null ? null : channelRecord(channel, value);
  }

  async listChannels(gameId: string): Promise<ChannelRecord[]> {
    const channels = await this.#client.hgetall(this.#key(`{g:${gameId}}`, 'channels'));
    return Object.entries(channels)
      .map(([channel, value]) => channelRecord(channel, value))
      .sort((a, b) => a.channel.localeCompare(b.channel));
  }

  async publishedGames(): Promise<string[]> {
    return (await this.#client.smembers(this.#key('published-games'))).sort();
  }

  async recordSession(studioId: string, sessionId: string): Promise<void> {
    const key = this.#key(`{s:${studioId}}`, 'sessions');
    await this.#client.multi().lpush(key, sessionId).ltrim(key, 0, RECENT_SESSIONS_KEPT - 1).exec();
  }

  async recentSessions(studioId: string, limit: number): Promise<string[]> {
    return this.#client.lrange(this.#key(`{s:${studioId}}`, 'sessions'), 0, limit - 1);
  }

  async close(): Promise<void> {
    await this.#client.quit();
  }
}

function parse<T>(json: string | null): T | null {
  return json === null ? null : (JSON.parse(json) as T);
}

function withPublished(record: VersionRecord | null, publishedAt: string | null): VersionRecord | null {
  if (record === null) return null;
  return publishedAt === null ? record : { ...record, publishedAt: Number(publishedAt) };
}

function channelRecord(channel: string, value: string): ChannelRecord {
  const [version = '', ...previous] = value.split('|');
  return { channel, version, previous };
}
