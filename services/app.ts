/**
 * Assembles the control plane: the store, the services over it, and the HTTP API in front of them.
 * Instances keep nothing in memory that matters once the store is Redis, so several can run side
 * by side (given the same ticket key, guest token secret and operator tokens).
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import type { GeoPoint } from '../protocol/http.js';
import { authRoutes } from './auth/auth-routes.js';
import { GuestAuth } from './auth/guest-auth.js';
import { OperatorTokens } from './auth/operator-tokens.js';
import { AdminAuth } from './operators/admin-auth.js';
import { MemoryOperatorStore } from './operators/memory-operator-store.js';
import { OperatorAccounts } from './operators/operator-accounts.js';
import { RedisOperatorStore } from './operators/redis-operator-store.js';
import { Catalogue } from './catalogue/catalogue.js';
import { catalogueRoutes } from './catalogue/catalogue-routes.js';
import { addCorsHeaders, answerPreflight } from './http/cors.js';
import { errorHandler, notFoundHandler } from './http/error-handling.js';
import { DEFAULT_RATE_LIMITS, playerRateLimits, rateLimitCounters, type RateLimitPolicy } from './http/rate-limits.js';
import { createLogger, type Logger, type LoggerOptions } from './logging/logger.js';
import { ControlPlaneMetrics } from './metrics/metrics.js';
import { metricsRoutes } from './metrics/metrics-routes.js';
import { GeoLocator } from './matchmaker/geo-locator.js';
import { loadOrCreateSecrets } from './secrets/persisted-secrets.js';
import { DEFAULT_CANDIDATE_COUNT, Matchmaker } from './matchmaker/matchmaker.js';
import { DEFAULT_QUEUE_POLICY, type QueuePolicy } from './matchmaker/placement-queue.js';
import { placementRoutes } from './matchmaker/placement-routes.js';
import { NodeRegistry } from './registry/node-registry.js';
import { addressRoutes } from './registry/address-routes.js';
import { attachHeartbeatChannel } from './registry/heartbeat-channel.js';
import { nodeRoutes } from './registry/node-routes.js';
import { OrphanReaper } from './sessions/orphan-reaper.js';
import { SessionReconciler } from './sessions/session-reconciler.js';
import { SessionService } from './sessions/session-service.js';
import { sessionRoutes } from './sessions/session-routes.js';
import { MemoryStore } from './store/memory-store.js';
import { RedisStore, type RedisTarget } from './store/redis-store.js';
import type { Store } from './store/store.js';
import { TicketIssuer, type TicketPublicJwk } from './tickets/ticket-issuer.js';
import { apiDocsUiOptions, openApiOptions } from './http/api-docs.js';
import { createStudioServices, studioPlugin } from './studios/studio-services.js';
import type { CheckerIdentity } from '../protocol/checks.js';
import { CHECK_POLICY, type CheckPolicy } from './checker/check-judge.js';
import { checkRoutes } from './checker/check-routes.js';
import { VerificationService } from './checker/verification-service.js';
import type { Ledger } from './metering/ledger.js';
import { MemoryLedger } from './metering/memory-ledger.js';
import { earningsRoutes, playerUsageRoutes } from './metering/metering-routes.js';
import { FlagResolutions } from './metering/flag-resolutions.js';
import { flagRoutes } from './metering/flag-routes.js';
import { MeteringService } from './metering/metering-service.js';
import { RedisLedger } from './metering/redis-ledger.js';
import { OperatorOverviewService } from './operators/operator-overview.js';
import { operatorOverviewRoutes } from './operators/operator-overview-routes.js';
import { operatorRoutes } from './operators/operator-routes.js';
import { NodeAdmission, type AdmissionPolicy } from './registry/node-admission.js';
import { BuildPeerFinder } from './builds/build-peers.js';
import { BuildPrefetch, DEFAULT_PREFETCH_POLICY, type PrefetchPolicy } from './builds/build-prefetch.js';
import { MemoryPrefetchStore } from './builds/prefetch-store.js';
import { RedisPrefetchStore } from './builds/redis-prefetch-store.js';
import { peerRoutes } from './builds/peer-routes.js';
import { findCandidates } from './matchmaker/candidate-search.js';

export interface ControlPlaneOptions {
  host?: string;
  /** 0 picks a free port; `url` tells which. */
  port?: number;
  /** The embedded in-process store (one machine), or Redis or a Redis Cluster (several instances). */
  store?: 'memory' | (RedisTarget & { keyPrefix?: string });
  /**
   * Believe X-Forwarded-For from these proxies (fastify's trustProxy: true, addresses, CIDRs), so
   * players are geolocated by their own address rather than the proxy's.
   */
  trustProxy?: boolean | string | string[];
  /** Where players connecting over loopback are taken to be; unset, they must send coordinates. */
  assumedLocationForLocalClients?: GeoPoint;
  /** How many nearby nodes a placement offer names for the page to probe. */
  candidateCount?: number;
  /** How long a player has to report probe results after an offer. */
  placementOfferTtlMs?: number;
  /** The queue's latency bounds, length and polling (services/matchmaker/placement-queue.ts). */
  queue?: Partial<QueuePolicy>;
  /** Tokens operators register nodes with; without any, one is generated and returned. */
  operatorTokens?: string[];
  /** Tokens that create and close operator accounts; without any, one is generated and returned. */
  adminTokens?: string[];
  /** A folder of static files served at / (the web client), index.html included. */
  webRoot?: string;
  /** A pino logger to log through, or options for a new one. */
  logger?: Logger | LoggerOptions;
  /** How often nodes are asked to heartbeat. */
  heartbeatIntervalMs?: number;
  /** A node not heard from for this long drops out of placement. */
  nodeTtlMs?: number;
  /** How long a slot stays reserved for a player who has not joined. */
  reservationTtlMs?: number;
  ticketTtlS?: number;
  /** PKCS#8 PEM of the Ed25519 ticket-signing key, or (ticketKeyPem) the PEM itself; generated per process when absent. */
  ticketKeyPath?: string;
  ticketKeyPem?: string;
  /** HS256 secret (at least 32 bytes) for player tokens; generated per process when absent. */
  guestTokenSecret?: string;
  /** The checker services allowed to run synthetic sessions, with their keys and where they stand. */
  checkers?: CheckerIdentity[];
  /** Caps on node keys per address and per operator; none without it. */
  admission?: AdmissionPolicy;
  /** What a check must show, beyond the defaults (services/checker/check-judge.ts). */
  checkPolicy?: Partial<CheckPolicy>;
  /** Per-address and per-player request limits (services/http/rate-limits.ts); false turns them off. */
  rateLimits?: Partial<RateLimitPolicy> | false;
  /**
   * Where secrets not given above are kept once generated, so a restart keeps them
   * (services/secrets/persisted-secrets.ts), where builds and unfinished uploads live
   * (LocalBuildStorage), and where the embedded store journals the metering and verification
   * ledger. Without it secrets are generated per process, builds go under the temp dir and the
   * ledger lives in memory.
   */
  dataDir?: string;
  /** When set, creating a studio needs this token; otherwise sign-up is open (README: studios). */
  studioSignupToken?: string;
  /** The largest build archive a studio may upload. */
  maxUploadBytes?: number;
  /** When a build counts as popular and how many nodes near its demand prefetch it (services/builds/build-prefetch.ts). */
  prefetch?: Partial<PrefetchPolicy>;
}

export interface ControlPlane {
  /** Where the API listens, e.g. http://127.0.0.1:8080 */
  url: string;
  /** An operator token nodes can register with (the generated one when none was given). */
  operatorToken: string;
  /** An admin token (the generated one when none was given). */
  adminToken: string;
  ticketPublicJwk: TicketPublicJwk;
  store: Store;
  /** Usage records, bindings and checks (services/metering/ledger.ts). */
  ledger: Ledger;
  close(): Promise<void>;
}

export async function createControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = createLogger(options.logger);
  const kept = options.dataDir === undefined ? undefined : await loadOrCreateSecrets(options.dataDir);
  const operatorToken = options.operatorTokens?.[0] ?? kept?.operatorToken ?? OperatorTokens.generateToken();
  const operatorTokens = new OperatorTokens(options.operatorTokens?.length ? options.operatorTokens : [operatorToken]);
  const ticketKeyPem = options.ticketKeyPath === undefined ? (options.ticketKeyPem ?? kept?.ticketKeyPem) : undefined;
  const adminToken = options.adminTokens?.[0] ?? kept?.adminToken ?? AdminAuth.generateToken();
  const admin = new AdminAuth(options.adminTokens?.length ? options.adminTokens : [adminToken]);
  const tickets = await TicketIssuer.create({
    ...(options.ticketKeyPath === undefined ? {} : { privateKeyPath: options.ticketKeyPath }),
    ...(ticketKeyPem === undefined ? {} : { privateKeyPem: ticketKeyPem }),
  });
  const guestAuth = new GuestAuth(options.guestTokenSecret ?? kept?.guestTokenSecret);
  const redis = options.store === undefined || options.store === 'memory' ? undefined : options.store;
  const store = redis === undefined ? new MemoryStore() : await RedisStore.connect(redis, { keyPrefix: redis.keyPrefix, replicateIndex: true, log: log.child({ component: 'store' }) });
  // The ledger sits beside the store: on its Redis connection, or embedded and journalled under dataDir.
  const ledger = store instanceof RedisStore ? new RedisLedger(store) : await MemoryLedger.open(options.dataDir).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });

  try {
    const metrics = new ControlPlaneMetrics();
    const catalogue = new Catalogue();
    const studios = await createStudioServices({
      store,
      redis,
      catalogue,
      log,
      dataDir: options.dataDir ?? join(tmpdir(), 'edgeplay-control-plane'),
      ledger,
    });
    const operatorAccounts = new OperatorAccounts({
      store: store instanceof RedisStore ? new RedisOperatorStore(store.client, store.keyPrefix) : new MemoryOperatorStore(),
      staticTokens: operatorTokens,
      log,
    });
    const reconciler = new SessionReconciler({ store, metrics, log });
    const prefetch = new BuildPrefetch({
      store: store instanceof RedisStore ? new RedisPrefetchStore(store.client, store.keyPrefix) : new MemoryPrefetchStore(),
      findCandidates: (query) => findCandidates(store, query),
      policy: { ...DEFAULT_PREFETCH_POLICY, ...options.prefetch },
      log,
    });
    const registry = new NodeRegistry({
      store,
      nodeKeys: operatorAccounts,
      tickets,
      reconciler,
      metrics,
      log,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 2_000,
      nodeTtlMs: options.nodeTtlMs ?? 6_000,
      prefetch,
    });
    const metering = new MeteringService({ ledger, store, metrics, log });
    const sessions = new SessionService({ store, tickets, metrics, log, ticketTtlS: options.ticketTtlS ?? 30, metering, onOpened: studios.sessionOpened });
    const verification = new VerificationService({
      store,
      ledger,
      sessions,
      catalogue,
      guestAuth,
      checkers: options.checkers ?? [],
      reservationTtlMs: options.reservationTtlMs ?? 30_000,
      checkPolicy: { ...CHECK_POLICY, ...options.checkPolicy },
      metrics,
      log,
    });
    metering.onPlayerUsage((nodeId) => void verification.refresh(nodeId).catch((error: unknown) => log.warn({ err: error, nodeId }, 'reputation refresh failed')));
    const admission = options.admission === undefined ? undefined : new NodeAdmission(ledger, options.admission, log);
    const matchmaker = new Matchmaker({
      store,
      catalogue,
      sessions,
      tickets,
      geoLocator: new GeoLocator({ assumedLocationForLocalClients: options.assumedLocationForLocalClients }),
      metrics,
      log,
      candidateCount: options.candidateCount ?? DEFAULT_CANDIDATE_COUNT,
      offerTtlMs: options.placementOfferTtlMs ?? 30_000,
      reservationTtlMs: options.reservationTtlMs ?? 30_000,
      queue: { ...DEFAULT_QUEUE_POLICY, ...options.queue },
      onPlaced: (game, location) => void prefetch.placed(game, location),
    });

    const app = Fastify({
      trustProxy: options.trustProxy ?? false,
      loggerInstance: log.child({ component: 'http' }),
      // Reject what the schemas do not allow rather than repair it: signed payloads must arrive byte for byte.
      ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    }).withTypeProvider<TypeBoxTypeProvider>();
    app.setErrorHandler(errorHandler);
    app.setNotFoundHandler(notFoundHandler);
    app.addHook('onRequest', addCorsHeaders);
    app.options('*', answerPreflight);
    await app.register(fastifySwagger, openApiOptions);
    await app.register(fastifySwaggerUi, apiDocsUiOptions);

    const rateLimits = options.rateLimits === false ? false : { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
    if (rateLimits !== false) await app.register(fastifyRateLimit, rateLimitCounters(store instanceof RedisStore ? store : undefined));
    const limits = playerRateLimits(app, rateLimits);
    await app.register(authRoutes, { guestAuth, limits });
    await app.register(catalogueRoutes, { catalogue });
    await app.register(nodeRoutes, { registry, sessions, operatorTokens: operatorAccounts, metering, admission, admin });
    await app.register(operatorRoutes, { accounts: operatorAccounts, admin, registry });
    await app.register(addressRoutes);
    await app.register(playerUsageRoutes, { metering, guestAuth, limits });
    await app.register(earningsRoutes, { metering, operatorTokens: operatorAccounts });
    await app.register(flagRoutes, { resolutions: new FlagResolutions(ledger, log), admin });
    await app.register(checkRoutes, { verification });
    await app.register(operatorOverviewRoutes, { overview: new OperatorOverviewService({ store, ledger, metering, verification }), operatorTokens: operatorAccounts });
    await app.register(sessionRoutes, { sessions, matchmaker, guestAuth, limits });
    await app.register(placementRoutes, { matchmaker, guestAuth, limits });
    await app.register(metricsRoutes, { metrics });
    await app.register(studioPlugin, { services: studios, registry, catalogue, signupToken: options.studioSignupToken, maxUploadBytes: options.maxUploadBytes });
    await app.register(peerRoutes, {
      store,
      studios: studios.studios,
      registry,
      catalogue,
      peers: new BuildPeerFinder({ catalogue, tickets, findCandidates: (query) => findCandidates(store, query) }),
      prefetch,
      admin,
    });
    if (options.webRoot !== undefined) {
      await app.register(fastifyStatic, { root: resolve(options.webRoot), index: 'index.html' });
    }

    const heartbeatChannel = attachHeartbeatChannel(app.server, registry, log);
    const url = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 2_000;
    const reaper = new OrphanReaper({ reconciler, log, intervalMs: heartbeatIntervalMs, startGraceMs: (options.nodeTtlMs ?? 6_000) + heartbeatIntervalMs });
    reaper.start();
    const storeKind = redis === undefined ? 'memory' : 'redisCluster' in redis ? 'redis-cluster' : 'redis';
    log.child({ component: 'control-plane' }).info({ url, store: storeKind }, 'control plane listening');
    return {
      url,
      operatorToken,
      adminToken,
      ticketPublicJwk: tickets.publicJwk,
      store,
      ledger,
      close: async () => {
        reaper.stop();
        heartbeatChannel.close();
        await app.close();
        await studios.close();
        await store.close();
        await ledger.close();
      },
    };
  } catch (error) {
    await store.close();
    await ledger.close();
    throw error;
  }
}
