/**
 * An operator's rendering rig on the network: it registers its key and capacity with the
 * control plane, heartbeats, and serves players who bring a ticket for it. Streams keep running
 * when the control plane is unreachable; only registration and reports wait for it.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { types } from 'mediasoup';
import pino, { type Logger } from 'pino';
import { AppError } from '../protocol/errors.js';
import type { GeoPoint, SessionEndPayload, SessionEndReason, SessionUsage } from '../protocol/http.js';
import type { JoinAccepted, SessionPreparing } from '../protocol/signalling.js';
import type { SessionTicketClaims } from '../protocol/ticket.js';
import { dirname, join } from 'node:path';
import { BuildCache, type BuildLease } from './builds/build-cache.js';
import { buildLaunch } from './builds/build-launch.js';
import { buildSources } from './builds/build-sources.js';
import type { BuildSource } from './builds/build-download.js';
import { BuildPrefetcher } from './builds/build-prefetcher.js';
import { PeerBuildServer } from './builds/peer-build-server.js';
import { discoverBuildPeers } from './builds/peer-discovery.js';
import { PeerFetchVerifier } from './builds/peer-fetch-verifier.js';
import { ControlPlaneClient, ControlPlaneError } from './control-plane/control-plane-client.js';
import { ReportOutbox } from './control-plane/report-outbox.js';
import { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from './sandbox/sandbox-limits.js';
import { defaultGameLibrary } from './game-library.js';
import { loadOrCreateIdentity, type NodeIdentity } from './identity.js';
import { loadMediasoup } from './media/mediasoup-loader.js';
import { NodeMetrics } from './metrics/node-metrics.js';
import { ProbeEndpoint } from './probe/probe-endpoint.js';
import { ProbeTokenVerifier } from './probe/probe-token-verifier.js';
import { CpuPriority } from './priority/cpu-priority.js';
import type { VideoEncoderOptions } from './media/video-encoder.js';
import { StreamSession, type GameLaunch } from './session/stream-session.js';
import { SignallingServer, type SessionHost } from './signalling/signalling-server.js';
import type { ConnectionGuardLimits } from './signalling/connection-guard.js';
import { TicketVerifier } from './tickets/ticket-verifier.js';

export interface EdgeNodeOptions {
  controlPlaneUrl: string;
  operatorToken: string;
  /** Where the node key is kept; without it the node gets a fresh identity each start. */
  keyPath?: string;
  /** Where undelivered end reports wait (default: report-outbox beside the key; in memory without a key). */
  reportOutboxDir?: string;
  name?: string;
  location?: GeoPoint;
  gpu?: { model: string; vramMb: number };
  /** Encoders the rig has (edgeplay-node join tests each); h264 alone when not given. */
  encoders?: string[];
  slots?: number;
  pricePerHour?: number;
  /** Signalling endpoint bind address and port (0 picks a free one). */
  host?: string;
  port?: number;
  publicUrl?: string;
  /** WebRTC media bind address, and the address players reach it on if different. */
  listenIp?: string;
  announcedAddress?: string;
  /** The low-latency measures (playout-delay 0/0, frame pacing); off only for benchmarks' baseline. */
  lowLatency?: boolean;
  encoder?: Partial<VideoEncoderOptions>;
  /**
   * Give the node, its media worker and its games CPU priority over everything else on the rig
   * (priority/cpu-priority.ts). The node's command line turns it on; off by default for embedders.
   */
  cpuPriority?: boolean;
  /** Ask games to draw the input-sequence strip (tests and latency benchmarks). */
  latencyStrip?: boolean;
  idleTimeoutMs?: number;
  /** A player whose video has not connected this long after joining is taken to have gone. */
  mediaConnectTimeoutMs?: number;
  /** Per-address bounds on signalling connections and joins (signalling/connection-guard.ts). */
  signallingLimits?: Partial<ConnectionGuardLimits>;
  games?: Map<string, GameLaunch>;
  /** Where studio builds are cached (default: a fresh folder under the system's temp dir). */
  buildCacheDir?: string;
  buildCacheBytes?: number;
  /** Where games' sandboxes keep their scratch directories and sockets. */
  sandboxDir?: string;
  /** The most any one game may use; a manifest that asks for less gets less. */
  gameLimits?: Partial<SandboxLimits>;
  /** Where builds are downloaded from when no nearby node has them (default: the control plane). */
  buildOriginUrl?: string;
  /** Builds served to peer nodes at once (builds/peer-build-server.ts). */
  maxPeerUploads?: number;
  logger?: Logger;
}

const DEFAULT_BUILD_CACHE_BYTES = 20 * 1024 ** 3;
/** The registration's bound on the builds it lists. */
const MAX_REPORTED_BUILDS = 1024;

export interface EdgeNodeEvents {
  sessionEnded: { sessionId: string; reason: SessionEndReason; usage: SessionUsage };
}

export class EdgeNode implements SessionHost {
  readonly sessions = new Map<string, StreamSession>();
  readonly endedSessions: EdgeNodeEvents['sessionEnded'][] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private verifier: TicketVerifier | undefined;
  private readonly probe: ProbeEndpoint;
  /** Prometheus metrics, at GET /metrics on the signalling port. */
  readonly metrics: NodeMetrics;
  /** Frames of the sessions that have ended; running sessions add their own at scrape time. */
  private readonly endedFrames = { encoded: 0, dropped: 0 };
  private nodeIdValue: string | undefined;
  private stopping = false;
  private worker: types.Worker | undefined;
  private priority: CpuPriority | undefined;
  /** Sessions admitted and waiting for their build or game: they hold a slot too. */
  private opening = 0;
  private temporaryCacheDir: string | undefined;
  /** Games of ended sessions still being stopped and their sandboxes taken down. */
  private readonly exitingGames = new Set<Promise<void>>();
  /** The cached builds changed since the control plane last heard them. */
  private buildsChanged = false;
  private peerFetchVerifier: PeerFetchVerifier | undefined;
  /** Serves this node's cached builds to nearby nodes, on the signalling port. */
  readonly peerBuilds: PeerBuildServer;
  private readonly prefetcher: BuildPrefetcher;

  private constructor(
    private readonly options: EdgeNodeOptions,
    private readonly identity: NodeIdentity,
    private readonly mediasoup: typeof import('mediasoup'),
    private readonly client: ControlPlaneClient,
    private readonly outbox: ReportOutbox,
    private readonly games: Map<string, GameLaunch>,
    readonly builds: BuildCache,
    private readonly logger: Logger,
    private signalling: SignallingServer | undefined,
  ) {
    this.probe = new ProbeEndpoint({ logger });
    this.metrics = new NodeMetrics({
      slots: () => options.slots ?? 1,
      activeSessions: () => this.sessions.size,
      frames: () => {
        const totals = { ...this.endedFrames };
        for (const session of this.sessions.values()) {
          totals.encoded += session.video.stats.framesEncoded;
          totals.dropped += session.video.stats.framesDropped;
        }
        return totals;
      },
    });
    this.peerBuilds = new PeerBuildServer({
      builds,
      verifier: () => this.peerFetchVerifier,
      maxUploads: options.maxPeerUploads,
      logger: logger.child({ component: 'peer-builds' }),
    });
    this.prefetcher = new BuildPrefetcher({ cache: builds, sources: (buildId) => this.buildSourcesFor(buildId), logger: logger.child({ component: 'build-prefetch' }) });
    builds.on('changed', () => {
      this.buildsChanged = true;
    });
  }

  static async start(options: EdgeNodeOptions): Promise<EdgeNode> {
    const logger = (options.logger ?? pino({ name: 'edge-node' })).child({ component: 'edge-node' });
    const identity = await loadOrCreateIdentity(options.keyPath);
    const mediasoup = await loadMediasoup();
    const client = new ControlPlaneClient(options.controlPlaneUrl, identity, logger);
    const cacheRoot = options.buildCacheDir ?? join(tmpdir(), `edgeplay-builds-${randomUUID()}`);
    const builds = await BuildCache.open({
      root: cacheRoot,
      maxBytes: options.buildCacheBytes ?? DEFAULT_BUILD_CACHE_BYTES,
      logger: logger.child({ component: 'build-cache' }),
    });
    const outboxDir = options.reportOutboxDir ?? (options.keyPath === undefined ? undefined : join(dirname(options.keyPath), 'report-outbox'));
    // Reports an earlier run left are retried until the registration below makes the node known again.
    const outbox = await ReportOutbox.open({ dir: outboxDir, send: (report) => client.sendEnd(report), logger });
    const node = new EdgeNode(options, identity, mediasoup, client, outbox, options.games ?? defaultGameLibrary(), builds, logger, undefined);
    // A cache the operator did not place is this run's alone.
    if (options.buildCacheDir === undefined) node.temporaryCacheDir = cacheRoot;
    try {
      if (options.cpuPriority) {
        node.priority = await CpuPriority.start({ logger });
        // First the node itself (it encodes): what it starts from now on inherits the priority.
        await node.priority.apply(process.pid, 'node');
      }
      await node.startWorker();
      node.signalling = await SignallingServer.listen({
        host: options.host ?? '127.0.0.1',
        port: options.port ?? 0,
        publicUrl: options.publicUrl,
        sessions: node,
        probe: node.probe,
        metrics: node.metrics,
        peerBuilds: node.peerBuilds,
        logger,
        limits: options.signallingLimits,
      });
      await node.register();
    } catch (error) {
      await node.stop();
      throw error;
    }
    return node;
  }

  get nodeId(): string {
    if (!this.nodeIdValue) throw new Error('the node is not registered');
    return this.nodeIdValue;
  }

  get signallingUrl(): string {
    if (!this.signalling) throw new Error('the signalling server is not listening');
    return this.signalling.url;
  }

  /** The running mediasoup worker's process id (operators' monitoring and tests watch it). */
  get mediaWorkerPid(): number | undefined {
    return this.worker?.closed ? undefined : this.worker?.pid;
  }

  get freeSlots(): number {
    return (this.options.slots ?? 1) - this.sessions.size - this.opening;
  }

  async admit(ticket: unknown): Promise<SessionTicketClaims> {
    if (this.stopping) throw new AppError('NODE_SHUTTING_DOWN');
    if (!this.verifier) throw new AppError('NODE_SHUTTING_DOWN', 'The edge node is not registered yet.');
    const claims = await this.verifier.verify(ticket);
    if (this.freeSlots <= 0) throw new AppError('SLOT_UNAVAILABLE');
    return claims;
  }

  abandon(claims: SessionTicketClaims): void {
    const now = Date.now();
    this.logger.info({ sessionId: claims.sid }, 'player left before the session opened');
    this.keepEndReport({ nodeId: this.nodeId, sessionId: claims.sid, reason: 'player_left', startedAt: now, endedAt: now, framesSent: 0, bytesSent: 0, width: 0, height: 0 });
  }

  async open(
    claims: SessionTicketClaims,
    onPreparing?: (progress: SessionPreparing) => void,
  ): Promise<{ session: StreamSession; accepted: Omit<JoinAccepted, 'routerRtpCapabilities'> }> {
    if (this.freeSlots <= 0) throw new AppError('SLOT_UNAVAILABLE');
    this.opening++;
    let lease: BuildLease | undefined;
    try {
      let game = this.games.get(claims.gameId);
      if (!game) {
        lease = await this.fetchBuild(claims, onPreparing);
        game = buildLaunch({
          sessionId: claims.sid,
          filesDir: lease.filesDir,
          manifest: lease.manifest,
          sandboxRoot: this.options.sandboxDir ?? join(tmpdir(), 'edgeplay-sandboxes'),
          maxLimits: { ...DEFAULT_SANDBOX_LIMITS, ...this.options.gameLimits },
          cpuWeight: this.priority?.cgroupWeight ?? undefined,
          logger: this.logger.child({ sessionId: claims.sid }),
        });
      }
      onPreparing?.({ stage: 'starting' });
      const opened = await this.startSession(claims, game);
      opened.session.once('ended', () => lease?.release());
      return opened;
    } catch (error) {
      lease?.release();
      throw error;
    } finally {
      this.opening--;
    }
  }

  private async fetchBuild(claims: SessionTicketClaims, onPreparing?: (progress: SessionPreparing) => void): Promise<BuildLease> {
    const sources = await this.buildSourcesFor(claims.buildId);
    const lease = await this.builds.acquire(claims.buildId, sources, (stage) => {
      if (stage.stage === 'downloading') onPreparing?.({ stage: 'downloading', ...stage.progress });
      else if (stage.stage === 'unpacking') onPreparing?.({ stage: 'unpacking' });
    });
    if (lease.manifest.id !== claims.gameId) {
      lease.release();
      throw new AppError('GAME_NOT_FOUND', `Build ${claims.buildId} is not a build of ${claims.gameId}.`);
    }
    return lease;
  }

  /** Nearby nodes that hold the build first (when it is not here), the origin last. */
  private async buildSourcesFor(buildId: string): Promise<BuildSource[]> {
    const origin = { originUrl: this.options.buildOriginUrl ?? this.options.controlPlaneUrl, nodeId: this.nodeId, privateKey: this.identity.privateKey };
    if (this.builds.has(buildId)) return buildSources(buildId, origin);
    const peers = await discoverBuildPeers(buildId, { controlPlaneUrl: this.options.controlPlaneUrl, nodeId: this.nodeId, privateKey: this.identity.privateKey, logger: this.logger });
    return buildSources(buildId, { ...origin, peers });
  }

  private async startSession(claims: SessionTicketClaims, game: GameLaunch): Promise<{ session: StreamSession; accepted: Omit<JoinAccepted, 'routerRtpCapabilities'> }> {
    const idleTimeoutMs = this.options.idleTimeoutMs ?? 5 * 60_000;
    if (!this.worker || this.worker.closed) throw new AppError('MEDIA_FAILED', 'The media engine is restarting; try again in a moment.');
    const session = await StreamSession.start({
      claims,
      worker: this.worker,
      game,
      listenIp: this.options.listenIp ?? '127.0.0.1',
      announcedAddress: this.options.announcedAddress,
      lowLatency: this.options.lowLatency ?? true,
      encoder: this.options.encoder,
      latencyStrip: this.options.latencyStrip ?? false,
      idleTimeoutMs,
      mediaConnectTimeoutMs: this.options.mediaConnectTimeoutMs,
      logger: this.logger,
      onEncoded: this.metrics.observeEncodeMs,
    });
    if (session.game.pid !== undefined) await this.priority?.applySession(session.game.pid, session.id);
    for (const pid of session.game.helperPids ?? []) await this.priority?.applySession(pid, session.id);
    session.game.once('exit', () => void this.priority?.releaseSession(session.id));
    this.sessions.set(session.id, session);
    this.metrics.sessionsStarted.inc();
    session.once('ended', (reason, usage) => this.onSessionEnded(session, reason, usage));
    void this.client.reportStart({ nodeId: this.nodeId, sessionId: session.id, startedAt: session.startedAt });
    return {
      session,
      accepted: { sessionId: session.id, video: { width: game.width, height: game.height, fps: game.fps }, idleTimeoutS: Math.round(idleTimeoutMs / 1000) },
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeatTimer);
    this.prefetcher.stop();
    this.client.close();
    for (const session of this.sessions.values()) session.end('node_shutdown');
    // A sandboxed game's scratch mount and cgroup go only once it has exited.
    await Promise.all(this.exitingGames);
    await this.signalling?.close();
    this.worker?.close();
    await this.priority?.close();
    // After the sessions' own reports are in it: whatever is undelivered stays on disk for the next start.
    this.outbox.close();
    if (this.temporaryCacheDir) await rm(this.temporaryCacheDir, { recursive: true, force: true });
  }

  /** Session ids of end reports the control plane has not received yet. */
  get undeliveredReports(): string[] {
    return this.outbox.pending;
  }

  /** A worker that dies takes its sessions with it, but the node lives on with a fresh one. */
  private async startWorker(): Promise<void> {
    const worker = await this.mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: 40000, rtcMaxPort: 49999 });
    this.worker = worker;
    await this.priority?.apply(worker.pid, 'media-worker');
    worker.on('died', (error) => {
      this.logger.error({ err: error }, 'mediasoup worker died; ending its sessions and starting a new one');
      for (const session of this.sessions.values()) session.end('media_failed');
      if (this.stopping) return;
      setTimeout(() => {
        if (!this.stopping) this.startWorker().catch((e: unknown) => this.logger.fatal({ err: e }, 'could not restart the mediasoup worker'));
      }, 1000).unref();
    });
  }

  private onSessionEnded(session: StreamSession, reason: SessionEndReason, usage: SessionUsage): void {
    this.sessions.delete(session.id);
    this.endedFrames.encoded += session.video.stats.framesEncoded;
    this.endedFrames.dropped += session.video.stats.framesDropped;
    this.metrics.sessionsEnded.inc({ reason });
    const exited = session.game.stop(1000).then(() => undefined);
    this.exitingGames.add(exited);
    void exited.finally(() => this.exitingGames.delete(exited));
    this.endedSessions.push({ sessionId: session.id, reason, usage });
    this.keepEndReport({ nodeId: this.nodeId, sessionId: session.id, reason, ...usage });
  }

  /** The control plane ended these (their player was placed elsewhere): only sessions this node runs are touched. */
  private endSuperseded(sessionIds: readonly string[] = []): void {
    for (const sessionId of sessionIds) {
      const session = this.sessions.get(sessionId);
      if (session === undefined) continue;
      this.logger.info({ sessionId }, 'the control plane ended this session; ending it');
      session.end('superseded');
    }
  }

  private keepEndReport(report: SessionEndPayload): void {
    this.outbox.add(report).catch((error: unknown) => this.logger.error({ err: error, sessionId: report.sessionId }, 'could not keep the end report'));
  }

  private async register(): Promise<void> {
    const registered = await this.client.register(this.options.operatorToken, {
      publicKey: this.identity.publicKey,
      name: this.options.name ?? 'local-rig',
      location: this.options.location ?? { lat: 52.52, lng: 13.405 },
      gpu: this.options.gpu ?? { model: 'software (x264)', vramMb: 0 },
      encoders: this.options.encoders ?? ['h264'],
      slots: this.options.slots ?? 1,
      pricePerHour: this.options.pricePerHour ?? 0.5,
      signallingUrl: this.signallingUrl,
      builds: this.builds.list().slice(0, MAX_REPORTED_BUILDS),
    }, [...this.sessions.keys()]);
    this.nodeIdValue = registered.nodeId;
    this.verifier = await TicketVerifier.create(registered.ticketPublicJwk, registered.nodeId);
    this.probe.useVerifier(await ProbeTokenVerifier.create(registered.ticketPublicJwk, registered.nodeId));
    this.peerFetchVerifier = await PeerFetchVerifier.create(registered.ticketPublicJwk, registered.nodeId);
    this.logger.info({ nodeId: registered.nodeId, signallingUrl: this.signallingUrl }, 'registered with the control plane');
    this.endSuperseded(registered.endSessions);
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => void this.beat(), registered.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  private async beat(): Promise<void> {
    // The heartbeat carries no builds; registering again refreshes them and keeps the node's sessions.
    if (this.buildsChanged) {
      this.buildsChanged = false;
      await this.register().catch((e: unknown) => {
        this.buildsChanged = true;
        this.logger.warn({ err: e }, 'reporting cached builds failed; retrying with the next heartbeat');
      });
      return;
    }
    try {
      const ack = await this.client.heartbeat(this.nodeId, [...this.sessions.keys()]);
      this.metrics.heartbeats.inc({ outcome: 'ok' });
      this.endSuperseded(ack.endSessions);
      this.prefetcher.request(ack.prefetch ?? []);
    } catch (error) {
      this.metrics.heartbeats.inc({ outcome: error instanceof ControlPlaneError ? error.code.toLowerCase() : 'unreachable' });
      // The control plane forgot us (it restarted, or we were silent past the TTL): join again.
      if (error instanceof ControlPlaneError && error.code === 'NODE_NOT_FOUND') {
        await this.register().catch((e: unknown) => this.logger.warn({ err: e }, 're-registration failed'));
        return;
      }
      this.logger.warn({ err: error }, 'heartbeat failed; streams go on');
    }
  }
}
