/**
 * Turns a finished upload into a build: hashes it (the build id), checks it is the studio's to
 * add (game owned by no other studio, version not taken by other bytes), inspects the archive
 * against every rule, and only then stores it. Whatever fails, the upload's file is removed, so a
 * refused archive leaves nothing behind; the same bytes uploaded again become the same build.
 */
import { rm } from 'node:fs/promises';
import { DEFAULT_ARCHIVE_LIMITS, inspectBuildArchive, type ArchiveLimits } from '../../protocol/build-archive.js';
import { sha256OfFile } from '../../protocol/build-hash.js';
import { AppError } from '../../protocol/errors.js';
import type { Logger } from '../logging/logger.js';
import type { BuildRecord, StudioStore } from '../studios/studio-store.js';
import type { BuildStorage } from './build-storage.js';

export interface BuildIngestOptions {
  store: StudioStore;
  storage: BuildStorage;
  log: Logger;
  /** Game ids built into the control plane (the demo): no studio may claim them. */
  reservedGameIds: readonly string[];
  limits?: ArchiveLimits;
}

export class BuildIngest {
  readonly #options: BuildIngestOptions;
  readonly #log: Logger;

  constructor(options: BuildIngestOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'build-ingest' });
  }

  /** The build the file at `path` is (the file is consumed either way). `claimedSha256` is what the uploader computed. */
  async ingest(studioId: string, path: string, claimedSha256?: string): Promise<BuildRecord> {
    try {
      return await this.#ingest(studioId, path, claimedSha256);
    } catch (error) {
      this.#log.info({ studioId, code: error instanceof AppError ? error.code : 'INTERNAL' }, 'upload refused');
      throw error;
    } finally {
      await rm(path, { force: true });
    }
  }

  async #ingest(studioId: string, path: string, claimedSha256: string | undefined): Promise<BuildRecord> {
    const { store, storage, reservedGameIds, limits = DEFAULT_ARCHIVE_LIMITS } = this.#options;
    const buildId = await sha256OfFile(path);
    if (claimedSha256 !== undefined && claimedSha256 !== buildId) {
      throw new AppError('BUILD_HASH_MISMATCH', `The upload's SHA-256 is ${buildId}, not the ${claimedSha256} it was announced with; upload it again.`);
    }
    const existing = await store.getBuild(buildId);
    if (existing !== null) {
      if (existing.studioId !== studioId) throw otherStudio(existing.gameId);
      this.#log.info({ studioId, buildId }, 'upload is a build already stored');
      return existing;
    }
    const inspection = await inspectBuildArchive(path, limits);
    const { id: gameId, version } = inspection.manifest;
    if (reservedGameIds.includes(gameId) || (await store.claimGame(gameId, studioId)) !== studioId) throw otherStudio(gameId);
    const taken = await store.getVersion(gameId, version);
    if (taken !== null && taken.buildId !== buildId) throw versionExists(gameId, version);

    const uploadedAt = Date.now();
    await storage.adopt(buildId, path);
    if (inspection.cover !== undefined) await storage.putCover(buildId, inspection.cover.bytes);
    const claimed = await store.claimVersion({ gameId, version, buildId, uploadedAt });
    if (claimed.buildId !== buildId) throw versionExists(gameId, version);
    const record: BuildRecord = {
      buildId,
      studioId,
      gameId,
      version,
      sizeBytes: (await storage.size(buildId)) ?? 0,
      format: inspection.format,
      manifest: inspection.manifest,
      uploadedAt,
      ...(inspection.cover === undefined ? {} : { coverContentType: inspection.cover.contentType }),
    };
    const stored = await store.putBuild(record);
    this.#log.info({ studioId, buildId, gameId, version, sizeBytes: record.sizeBytes }, 'build stored');
    return stored;
  }
}

function otherStudio(gameId: string): AppError {
  return new AppError('GAME_OWNED_BY_OTHER_STUDIO', `The game id "${gameId}" belongs to another studio; choose another id in game.json.`);
}

function versionExists(gameId: string, version: string): AppError {
  return new AppError('VERSION_EXISTS', `${gameId} ${version} already exists with other bytes; versions are immutable, raise the version in game.json.`);
}
