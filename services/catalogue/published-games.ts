/**
 * The studios' side of the catalogue: every game whose stable channel points at a version, as the
 * Game players see, loaded from the studio store. Each instance reloads after a change it made
 * and every few seconds, so a channel moved through another instance shows within that time;
 * placement reads the catalogue in memory, never the store.
 */
import type { GameManifest, Game } from '../../protocol/http.js';
import type { BuildManifest } from '../../protocol/build-manifest.js';
import { DEFAULT_CHANNEL } from '../../protocol/studio.js';
import type { Logger } from '../logging/logger.js';
import type { StudioStore } from '../studios/studio-store.js';
import type { Catalogue } from './catalogue.js';

export const CATALOGUE_RELOAD_MS = 5_000;

export class PublishedGames {
  readonly #store: StudioStore;
  readonly #catalogue: Catalogue;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;

  constructor(store: StudioStore, catalogue: Catalogue, log: Logger) {
    this.#store = store;
    this.#catalogue = catalogue;
    this.#log = log.child({ component: 'published-games' });
  }

  async reload(): Promise<void> {
    const gameIds = await this.#store.publishedGames();
    const games = await Promise.all(gameIds.map((gameId) => this.#game(gameId)));
    this.#catalogue.setPublished(games.filter((game): game is Game => game !== null));
  }

  start(intervalMs = CATALOGUE_RELOAD_MS): void {
    this.#timer = setInterval(() => {
      this.reload().catch((error: unknown) => this.#log.warn({ err: error }, 'reloading the catalogue failed'));
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #game(gameId: string): Promise<Game | null> {
    const stable = (await this.#store.listChannels(gameId)).find((channel) => channel.channel === DEFAULT_CHANNEL);
    const version = stable === undefined ? null : await this.#store.getVersion(gameId, stable.version);
    const build = version === null ? null : await this.#store.getBuild(version.buildId);
    if (build === null) return null;
    const { manifest } = build;
    return {
      id: gameId,
      title: manifest.title,
      description: manifest.description,
      buildId: build.buildId,
      manifest: gameManifest(manifest),
      version: manifest.version,
      ...(build.coverContentType === undefined ? {} : { coverUrl: `/v1/games/${gameId}/cover` }),
    };
  }
}

/** What placement and the node need from a build's manifest, in the catalogue's shape. */
export function gameManifest(manifest: BuildManifest): GameManifest {
  return {
    runtime: manifest.runtime,
    entry: manifest.entry,
    width: manifest.width,
    height: manifest.height,
    fps: manifest.fps,
    inputs: manifest.inputs,
    requirements: { minVramMb: manifest.needs.gpuMemoryMb },
  };
}
