/** The studio store for one machine: everything in this process, each method atomic (no awaits inside). */
import {
  RECENT_SESSIONS_KEPT,
  type ApiKeyRecord,
  type BuildRecord,
  type ChannelRecord,
  type StudioRecord,
  type StudioStore,
  type VersionRecord,
} from './studio-store.js';

export class MemoryStudioStore implements StudioStore {
  readonly #studios = new Map<string, StudioRecord>();
  readonly #studioNames = new Set<string>();
  readonly #keys = new Map<string, ApiKeyRecord>();
  readonly #owners = new Map<string, string>();
  readonly #builds = new Map<string, BuildRecord>();
  /** gameId -> version -> record */
  readonly #versions = new Map<string, Map<string, VersionRecord>>();
  /** gameId -> channel -> record */
  readonly #channels = new Map<string, Map<string, ChannelRecord>>();
  readonly #sessions = new Map<string, string[]>();

  async createStudio(record: StudioRecord): Promise<boolean> {
    const name = record.name.toLowerCase();
    if (this.#studioNames.has(name)) return false;
    this.#studioNames.add(name);
    this.#studios.set(record.studioId, { ...record });
    return true;
  }

  async getStudio(studioId: string): Promise<StudioRecord | null> {
    return copy(this.#studios.get(studioId));
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    this.#keys.set(record.digest, structuredClone(record));
  }

  async apiKeyByDigest(digest: string): Promise<ApiKeyRecord | null> {
    return copy(this.#keys.get(digest));
  }

  async listApiKeys(studioId: string): Promise<ApiKeyRecord[]> {
    return [...this.#keys.values()].filter((key) => key.studioId === studioId).map((key) => structuredClone(key));
  }

  async revokeApiKey(studioId: string, keyId: string, at: number): Promise<ApiKeyRecord | null> {
    const key = [...this.#keys.values()].find((candidate) => candidate.studioId === studioId && candidate.keyId === keyId);
    if (key === undefined) return null;
    key.revokedAt ??= at;
    return structuredClone(key);
  }

  async claimGame(gameId: string, studioId: string): Promise<string> {
    const owner = this.#owners.get(gameId);
    if (owner !== undefined) return owner;
    this.#owners.set(gameId, studioId);
    return studioId;
  }

  async gameOwner(gameId: string): Promise<string | null> {
    return this.#owners.get(gameId) ?? null;
  }

  async studioGames(studioId: string): Promise<string[]> {
    return [...this.#owners].filter(([, owner]) => owner === studioId).map(([gameId]) => gameId).sort();
  }

  async putBuild(record: BuildRecord): Promise<BuildRecord> {
    const existing = this.#builds.get(record.buildId);
    if (existing !== undefined) return structuredClone(existing);
    this.#builds.set(record.buildId, structuredClone(record));
    return structuredClone(record);
  }

  async getBuild(buildId: string): Promise<BuildRecord | null> {
    return copy(this.#builds.get(buildId));
  }

  async studioBuilds(studioId: string): Promise<BuildRecord[]> {
    return [...this.#builds.values()].filter((build) => build.studioId === studioId).map((build) => structuredClone(build));
  }

  async claimVersion(record: VersionRecord): Promise<VersionRecord> {
    const versions = getOrCreate(this.#versions, record.gameId);
    const existing = versions.get(record.version);
    if (existing !== undefined) return { ...existing };
    versions.set(record.version, { ...record });
    return { ...record };
  }

  async getVersion(gameId: string, version: string): Promise<VersionRecord | null> {
    return copy(this.#versions.get(gameId)?.get(version));
  }

  async listVersions(gameId: string): Promise<VersionRecord[]> {
    return [...(this.#versions.get(gameId)?.values() ?? [])].map((version) => ({ ...version }));
  }

  async markPublished(gameId: string, version: string, at: number): Promise<VersionRecord | null> {
    const record = this.#versions.get(gameId)?.get(version);
    if (record === undefined) return null;
    record.publishedAt ??= at;
    return { ...record };
  }

  async moveChannel(gameId: string, channel: string, version: string): Promise<ChannelRecord> {
    const channels = getOrCreate(this.#channels, gameId);
    const current = channels.get(channel);
    const next: ChannelRecord =
      current === undefined ? { channel, version, previous: [] } : current.version === version ? current : { channel, version, previous: [current.version, ...current.previous] };
    channels.set(channel, next);
    return structuredClone(next);
  }

  async rollbackChannel(gameId: string, channel: string): Promise<ChannelRecord | null> {
    const channels = this.#channels.get(gameId);
    const current = channels?.get(channel);
    const [version, ...previous] = current?.previous ?? [];
    if (channels === undefined || version === undefined) return null;
    const next = { channel, version, previous };
    channels.set(channel, next);
    return structuredClone(next);
  }

  async listChannels(gameId: string): Promise<ChannelRecord[]> {
    return [...(this.#channels.get(gameId)?.values() ?? [])].map((channel) => structuredClone(channel)).sort((a, b) => a.channel.localeCompare(b.channel));
  }

  async publishedGames(): Promise<string[]> {
    return [...this.#channels].filter(([, channels]) => channels.size > 0).map(([gameId]) => gameId).sort();
  }

  async recordSession(studioId: string, sessionId: string): Promise<void> {
    this.#sessions.set(studioId, [sessionId, ...(this.#sessions.get(studioId) ?? [])].slice(0, RECENT_SESSIONS_KEPT));
  }

  async recentSessions(studioId: string, limit: number): Promise<string[]> {
    return (this.#sessions.get(studioId) ?? []).slice(0, limit);
  }

  async close(): Promise<void> {}
}

function copy<T extends object>(value: T | undefined): T | null {
  return value === undefined ? null : structuredClone(value);
}

function getOrCreate<K, V>(map: Map<K, Map<string, V>>, key: K): Map<string, V> {
  let inner = map.get(key);
  if (inner === undefined) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}
