/**
 * Studio state: accounts, API keys (by digest), game ownership, builds, versions and channels,
 * and each studio's recent sessions. In memory for one machine, or Redis for several instances;
 * both pass test/integration/services/studio-store.contract.test.ts.
 */
import type { ArchiveFormat, BuildManifest } from '../../protocol/build-manifest.js';
import type { ApiKeyScope } from '../../protocol/studio.js';

export interface StudioRecord {
  studioId: string;
  name: string;
  createdAt: number;
}

export interface ApiKeyRecord {
  keyId: string;
  studioId: string;
  /** sha256 of the key, hex: the key itself is never stored. */
  digest: string;
  label: string;
  scopes: ApiKeyScope[];
  createdAt: number;
  revokedAt?: number;
}

export interface BuildRecord {
  buildId: string;
  studioId: string;
  gameId: string;
  version: string;
  sizeBytes: number;
  format: ArchiveFormat;
  manifest: BuildManifest;
  uploadedAt: number;
  /** The cover's content type, when the build has one (its bytes are in BuildStorage). */
  coverContentType?: string;
}

export interface VersionRecord {
  gameId: string;
  version: string;
  buildId: string;
  uploadedAt: number;
  publishedAt?: number;
}

export interface ChannelRecord {
  channel: string;
  version: string;
  /** Earlier versions, most recent first. */
  previous: string[];
}

export interface StudioStore {
  /** False when the name is taken. */
  createStudio(record: StudioRecord): Promise<boolean>;
  getStudio(studioId: string): Promise<StudioRecord | null>;

  putApiKey(record: ApiKeyRecord): Promise<void>;
  apiKeyByDigest(digest: string): Promise<ApiKeyRecord | null>;
  listApiKeys(studioId: string): Promise<ApiKeyRecord[]>;
  /** The revoked key, or null when the studio has no such key. Revoking twice keeps the first time. */
  revokeApiKey(studioId: string, keyId: string, at: number): Promise<ApiKeyRecord | null>;

  /** Makes `studioId` the owner of the game unless it has one; returns the owner. */
  claimGame(gameId: string, studioId: string): Promise<string>;
  gameOwner(gameId: string): Promise<string | null>;
  studioGames(studioId: string): Promise<string[]>;

  /** Stores the build unless one with its id exists; returns the stored one (the same bytes are one build). */
  putBuild(record: BuildRecord): Promise<BuildRecord>;
  getBuild(buildId: string): Promise<BuildRecord | null>;
  studioBuilds(studioId: string): Promise<BuildRecord[]>;

  /** Gives the version its build unless it has one; returns the version as stored (immutable once claimed). */
  claimVersion(record: VersionRecord): Promise<VersionRecord>;
  getVersion(gameId: string, version: string): Promise<VersionRecord | null>;
  listVersions(gameId: string): Promise<VersionRecord[]>;
  /** Sets publishedAt once; null for an unknown version. */
  markPublished(gameId: string, version: string, at: number): Promise<VersionRecord | null>;

  /** Points the channel at `version`, remembering where it pointed before. */
  moveChannel(gameId: string, channel: string, version: string): Promise<ChannelRecord>;
  /** Points the channel back at its previous version; null when it has none (or no channel). */
  rollbackChannel(gameId: string, channel: string): Promise<ChannelRecord | null>;
  listChannels(gameId: string): Promise<ChannelRecord[]>;
  /** Games with at least one channel: the studio part of the catalogue. */
  publishedGames(): Promise<string[]>;

  /** Remembers a session of one of the studio's games (the most recent ones are kept). */
  recordSession(studioId: string, sessionId: string): Promise<void>;
  recentSessions(studioId: string, limit: number): Promise<string[]>;

  close(): Promise<void>;
}

/** How many sessions a studio's page lists. */
export const RECENT_SESSIONS_KEPT = 50;
