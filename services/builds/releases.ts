/**
 * Versions and channels of a studio's games. A version is its build for good (claimed at upload);
 * publishing makes it visible and points a channel at it; channels move forward and back. Only
 * the studio that owns a game may touch its releases: to another studio it does not exist.
 */
import { AppError } from '../../protocol/errors.js';
import { DEFAULT_CHANNEL, type GameReleases } from '../../protocol/studio.js';
import type { Logger } from '../logging/logger.js';
import type { StudioStore } from '../studios/studio-store.js';

export class Releases {
  readonly #store: StudioStore;
  readonly #log: Logger;
  readonly #onChange: () => Promise<void>;

  /** `onChange` runs after any channel moved (the catalogue reloads). */
  constructor(store: StudioStore, log: Logger, onChange: () => Promise<void>) {
    this.#store = store;
    this.#log = log.child({ component: 'releases' });
    this.#onChange = onChange;
  }

  async view(studioId: string, gameId: string): Promise<GameReleases> {
    await this.#checkOwner(studioId, gameId);
    const [versions, channels] = await Promise.all([this.#store.listVersions(gameId), this.#store.listChannels(gameId)]);
    return {
      gameId,
      versions: versions.map(({ version, buildId, uploadedAt, publishedAt }) =>
        publishedAt === undefined ? { version, buildId, uploadedAt } : { version, buildId, uploadedAt, publishedAt },
      ),
      channels,
    };
  }

  async publish(studioId: string, gameId: string, version: string, channel = DEFAULT_CHANNEL): Promise<GameReleases> {
    await this.#checkOwner(studioId, gameId);
    if ((await this.#store.markPublished(gameId, version, Date.now())) === null) throw versionNotFound(gameId, version);
    await this.#store.moveChannel(gameId, channel, version);
    this.#log.info({ studioId, gameId, version, channel }, 'version published');
    await this.#onChange();
    return this.view(studioId, gameId);
  }

  /** Points a channel at a published version (forward or back). */
  async moveChannel(studioId: string, gameId: string, channel: string, version: string): Promise<GameReleases> {
    await this.#checkOwner(studioId, gameId);
    const record = await this.#store.getVersion(gameId, version);
    if (record?.publishedAt === undefined) throw versionNotFound(gameId, version);
    await this.#store.moveChannel(gameId, channel, version);
    this.#log.info({ studioId, gameId, version, channel }, 'channel moved');
    await this.#onChange();
    return this.view(studioId, gameId);
  }

  async rollback(studioId: string, gameId: string, channel: string): Promise<GameReleases> {
    await this.#checkOwner(studioId, gameId);
    const record = await this.#store.rollbackChannel(gameId, channel);
    if (record === null) throw new AppError('CHANNEL_NOT_FOUND', `${gameId} has no channel "${channel}" with an earlier version to roll back to.`);
    this.#log.info({ studioId, gameId, channel, version: record.version }, 'channel rolled back');
    await this.#onChange();
    return this.view(studioId, gameId);
  }

  async #checkOwner(studioId: string, gameId: string): Promise<void> {
    // Another studio's game answers exactly as a game that does not exist.
    if ((await this.#store.gameOwner(gameId)) !== studioId) throw new AppError('GAME_NOT_FOUND', `Your studio has no game "${gameId}".`);
  }
}

function versionNotFound(gameId: string, version: string): AppError {
  return new AppError('VERSION_NOT_FOUND', `${gameId} has no uploaded version ${version}.`);
}
