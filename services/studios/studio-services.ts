/**
 * The studio side of the control plane, assembled: its store (memory, or Redis beside the main
 * store), build storage under the data directory, upload ingest, accounts, releases, the
 * published part of the catalogue, and the routes for all of it.
 */
import { join } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DEFAULT_ARCHIVE_LIMITS } from '../../protocol/build-archive.js';
import { BuildIngest } from '../builds/build-ingest.js';
import { buildRoutes } from '../builds/build-routes.js';
import type { BuildStorage } from '../builds/build-storage.js';
import { LocalBuildStorage } from '../builds/local-build-storage.js';
import { Releases } from '../builds/releases.js';
import { uploadRoutes } from '../builds/upload-routes.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import { PublishedGames } from '../catalogue/published-games.js';
import type { Logger } from '../logging/logger.js';
import type { Ledger } from '../metering/ledger.js';
import type { NodeRegistry } from '../registry/node-registry.js';
import type { RedisTarget } from '../store/redis-store.js';
import type { SessionRecord, Store } from '../store/store.js';
import { MemoryStudioStore } from './memory-studio-store.js';
import { RedisStudioStore } from './redis-studio-store.js';
import { StudioAccounts } from './studio-accounts.js';
import { StudioOverviews } from './studio-overview.js';
import { studioRoutes } from './studio-routes.js';
import type { StudioStore } from './studio-store.js';

/** Unfinished uploads are dropped after a day untouched. */
const UPLOAD_EXPIRY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_UPLOAD_BYTES = 8 * 1024 ** 3;

export interface StudioServicesOptions {
  store: Store;
  redis: (RedisTarget & { keyPrefix?: string }) | undefined;
  catalogue: Catalogue;
  log: Logger;
  dataDir: string;
  /** Where the players' signed usage records are: the studio page's session latency comes from them. */
  ledger: Pick<Ledger, 'session'>;
}

export interface StudioServices {
  store: Store;
  studios: StudioStore;
  storage: BuildStorage;
  accounts: StudioAccounts;
  ingest: BuildIngest;
  releases: Releases;
  overviews: StudioOverviews;
  published: PublishedGames;
  uploadsDir: string;
  log: Logger;
  /** SessionService's onOpened: remembers sessions of studio games for their studio's page. */
  sessionOpened: (record: SessionRecord) => void;
  close(): Promise<void>;
}

export async function createStudioServices({ store, redis, catalogue, log, dataDir, ledger }: StudioServicesOptions): Promise<StudioServices> {
  const studios: StudioStore = redis === undefined ? new MemoryStudioStore() : await RedisStudioStore.connect(redis, { keyPrefix: redis.keyPrefix, log });
  const storage = new LocalBuildStorage(join(dataDir, 'builds'));
  const published = new PublishedGames(studios, catalogue, log);
  const accounts = new StudioAccounts(studios, log);
  const releases = new Releases(studios, log, () => published.reload());
  const overviews = new StudioOverviews(studios, store, accounts, releases, ledger);
  const ingest = new BuildIngest({ store: studios, storage, log, reservedGameIds: catalogue.builtInIds, limits: DEFAULT_ARCHIVE_LIMITS });
  await published.reload();
  published.start();
  const sessionLog = log.child({ component: 'studio-sessions' });
  return {
    store,
    studios,
    storage,
    accounts,
    ingest,
    releases,
    overviews,
    published,
    uploadsDir: join(dataDir, 'uploads'),
    log,
    sessionOpened: (record) => {
      void studios
        .gameOwner(record.gameId)
        .then((owner) => (owner === null ? undefined : studios.recordSession(owner, record.sessionId)))
        .catch((error: unknown) => sessionLog.warn({ err: error, sessionId: record.sessionId }, 'recording a studio session failed'));
    },
    close: async () => {
      published.stop();
      await studios.close();
    },
  };
}

export interface StudioPluginOptions {
  services: StudioServices;
  registry: NodeRegistry;
  catalogue: Catalogue;
  signupToken?: string;
  maxUploadBytes?: number;
}

/** The studio, build and upload routes. */
export const studioPlugin: FastifyPluginAsyncTypebox<StudioPluginOptions> = async (typed, options) => {
  const { services } = options;
  const { accounts, releases, overviews, studios, storage, ingest, uploadsDir, log } = services;
  await typed.register(studioRoutes, { accounts, releases, overviews, ...(options.signupToken === undefined ? {} : { signupToken: options.signupToken }) });
  await typed.register(buildRoutes, { studios, storage, registry: options.registry, catalogue: options.catalogue });
  await typed.register(uploadRoutes, {
    accounts,
    ingest,
    directory: uploadsDir,
    maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    expireAfterMs: UPLOAD_EXPIRY_MS,
    log,
  });
};
