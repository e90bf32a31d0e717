/**
 * One play session in the page, end to end: get placed on the node with the lowest measured
 * round trip, stream from it, capture input, measure latency and stats. The UI listens; tests and
 * benchmarks read `snapshot()`.
 */
import { ApiClient } from './api-client.js';
import { FrameWatchdog } from './frame-watchdog.js';
import { InputCapture } from './input-capture.js';
import { FramePacer, type PacingReport } from './frame-pacer.js';
import { DecodedView } from './decoded-view/decoded-view.js';
import { LatencyMeter, type DisplayMeter } from './latency-meter.js';
import { place, type PlacementProgress } from './placement-flow.js';
import { measureCandidates } from './rtt-prober.js';
import { StatsMonitor, type StreamStats } from './stats-monitor.js';
import { StreamInspector, type EncodedStreamReport } from './stream-inspector/stream-inspector.js';
import { STREAM_LOST, StreamClient } from './stream-client.js';
import type { StreamView } from './view-choice.js';
import type { SessionEndedNotice, SessionPreparing } from '../../../protocol/signalling.js';
import type { GeoPoint, SessionCreated } from '../../../protocol/http.js';
import type { RttMeasurement } from '../../../protocol/placement.js';
import type { PlayerUsageKey, UsageAccepted } from '../../../protocol/metering.js';
import { deliverUsage } from './usage-delivery.js';
import { usageRecord } from './usage-report.js';
import { UsageSigner } from './usage-signer.js';

export interface PlayerSnapshot {
  sessionId: string | null;
  /** The node the matchmaker chose. */
  nodeId: string | null;
  /** Where placement stands; `placed` once the stream is being set up. */
  placement: PlacementProgress | null;
  /** The median probe RTT to each candidate (null: every probe failed). */
  probes: RttMeasurement[];
  /** The chosen node's probe RTT. */
  probeRttMs: number | null;
  stats: StreamStats | null;
  latencyP50: number | null;
  latencyP95: number | null;
  /** Input-to-display samples (input-latency.ts), in ms, in the order frames showed them. */
  latencySamples: number[];
  lastInputSeq: number;
  lastFrameSeq: number | null;
  framesSeen: number;
  framesPresented: number;
  /** How the stream is shown: painted by the page (canvas) or by a <video> element. */
  view: StreamView;
  ended: SessionEndedNotice | null;
  /** Nodes the session moved away from because they failed, oldest first. */
  failedNodes: string[];
  /** When the current stream's first frame showed (epoch ms), null until it has. */
  firstFrameAt: number | null;
  /** What the stream says about its encoder and encode times (JoinOptions.inspect), null when not read. */
  encodedStream: EncodedStreamReport | null;
  /** What the frame pacer did: the windows it judged and the shifts it asked for (frame-pacer.ts). */
  pacing: PacingReport;
}

export interface JoinOptions {
  /** Read the stream's SEI from its encoded frames (stream-inspector/): the checker's synthetic players do. */
  inspect?: boolean;
}

export interface LaunchOptions {
  location?: GeoPoint;
  /** Aborting leaves the queue (or gives the offer up) while the player is not placed yet. */
  signal?: AbortSignal;
  onProgress?: (progress: PlacementProgress) => void;
  /** Default 'video'; 'canvas' needs DecodedView.supported(). */
  view?: StreamView;
  /** Once placed: the node getting the game ready (fetching its build the first time). */
  onPreparing?: (progress: SessionPreparing) => void;
}

/** One stream the page watched: what its usage record is made of, and the key bound to its session. */
interface WatchedStream {
  created: SessionCreated;
  signer: UsageSigner;
  joinedAt: number;
  /** The last stats this stream's own counters gave. */
  stats: StreamStats | null;
  /** Latency samples the meter held before this stream, which are not this stream's. */
  latencyFrom: number;
}

const LEFT: SessionEndedNotice = { reason: 'player_left', message: 'You left the game.' };

/** A session gives up after this many failovers in a row that never showed a frame. */
const MAX_FRUITLESS_FAILOVERS = 3;
/**
 * A node that failed is not asked for again for this long: long enough for the control plane to
 * drop a dead node (its TTL, 6 s by default), short enough that a rig restarted meanwhile is
 * offered again.
 */
const EXCLUDE_FAILED_MS = 10_000;
/**
 * Frames stopped for this long make the page ask the node whether it is still there, and it has
 * STALL_CONFIRM_MS to answer on signalling before the page moves on: together (with the watchdog's
 * check interval) within 2 s of a silent failure such as a pulled plug.
 */
const STALL_MS = 1_000;
const STALL_CONFIRM_MS = 600;
export const FAILOVER_NOTICE = 'The game server stopped answering. Moving you to another one…';

export class PlayerSession {
  /** Replaced by a fresh one on each failover; input, pacing and stats always use the current one. */
  private stream = new StreamClient();
  /** Plays the game's sound; not in the document, and apart from the video so nothing syncs them. */
  private readonly speaker = new Audio();
  /** Per stream: a new stream's counters start from zero. */
  private statsMonitor = new StatsMonitor();
  private capture: InputCapture | undefined;
  private meter: DisplayMeter | undefined;
  private inspector: StreamInspector | undefined;
  private inspect = false;
  private view: StreamView = 'video';
  /** Told, on every stream (a failover's too), while the node gets the game ready. */
  private onPreparing: ((progress: SessionPreparing) => void) | undefined;
  private readonly pacer = new FramePacer((shiftMs) => void this.stream.pace(shiftMs));
  private statsTimer: number | undefined;
  private created: SessionCreated | undefined;
  private progress: PlacementProgress | null = null;
  private probes: RttMeasurement[] = [];
  private lastStats: StreamStats | null = null;
  private endedNotice: SessionEndedNotice | null = null;
  private leaving = false;
  /** The usage key of the session being placed or streamed; a failover places with a fresh one. */
  private signer: UsageSigner | undefined;
  /** The stream whose usage record is still to be sent; cleared as it is sent, so none goes twice. */
  private watching: WatchedStream | undefined;
  /** The signed usage record handed in when the session ended (tests read its outcome). */
  private usageReport: Promise<UsageAccepted | null> | undefined;
  private readonly failedNodes: { nodeId: string; at: number }[] = [];
  private fruitlessFailovers = 0;
  /** What a failover places with: where the player is, as the launch knew it. */
  private launchOptions: Pick<LaunchOptions, 'location'> = {};
  private readonly watchdog: FrameWatchdog;

  /** `onNotice` shows a short line over the game (a failover under way), or clears it with null. */
  constructor(
    private readonly api: ApiClient,
    private readonly video: HTMLVideoElement,
    private readonly onStats: (snapshot: PlayerSnapshot) => void,
    private readonly onEnded: (notice: SessionEndedNotice) => void,
    private readonly onNotice: (text: string | null) => void = () => undefined,
  ) {
    this.watchdog = new FrameWatchdog(video, () => void this.stalled(), STALL_MS);
  }

  /** The public half of this session's usage key, made before placement so the control plane binds it. */
  async usageKey(): Promise<PlayerUsageKey> {
    this.signer ??= await UsageSigner.create();
    return this.signer.publicKey;
  }

  async launch(gameId: string, options: LaunchOptions = {}): Promise<void> {
    this.launchOptions = { location: options.location };
    this.view = options.view ?? 'video';
    this.onPreparing = options.onPreparing;
    await this.join(await this.place(gameId, options));
  }

  /** Streams a session already placed with this page's usage key. */
  async join(created: SessionCreated, options: JoinOptions = {}): Promise<void> {
    this.created = created;
    this.inspect = options.inspect === true;
    // The input surface is the <video> element on both views; the canvas lies over it.
    this.capture = new InputCapture(this.video, (event) => this.stream.send(event));
    await this.connect();
    this.capture.start();
    this.statsTimer = window.setInterval(() => void this.pollStats(), 1000);
  }

  /** Gets a session from the matchmaker, bound to this page's usage key, avoiding the nodes this one failed on. */
  private async place(gameId: string, options: LaunchOptions): Promise<SessionCreated> {
    return place(this.api, {
      gameId,
      location: options.location,
      usageKey: await this.usageKey(),
      excludeNodes: this.failedNodes.filter((failed) => Date.now() - failed.at < EXCLUDE_FAILED_MS).map((failed) => failed.nodeId),
      signal: options.signal,
      onProgress: (progress) => {
        this.progress = progress;
        options.onProgress?.(progress);
      },
      measure: async (offer, signal) => (this.probes = await measureCandidates(offer, { signal })),
    });
  }

  /** Streams the placed session into the page. */
  private async connect(): Promise<void> {
    const stream = this.stream;
    const inputAt = this.capture!.inputAt;
    if (this.onPreparing) stream.onPreparing(this.onPreparing);
    stream.onEnded((notice) => {
      if (notice.code === STREAM_LOST && !this.leaving) void this.streamLost(stream);
      // The node confirms a leave with its own notice; the player should read that they left.
      else this.finish(this.leaving ? LEFT : notice);
    });
    // A painted view is bound to one connection's receivers, so each stream gets its own.
    const paintItself = (receivers: { video: RTCRtpReceiver; audio: RTCRtpReceiver }): void => {
      this.meter?.stop();
      this.meter = new DecodedView(this.video, receivers, inputAt, (frame) => this.pacer.add(frame));
    };
    const inspect = (receivers: { video: RTCRtpReceiver; audio: RTCRtpReceiver }): void => {
      this.inspector?.stop();
      this.inspector = new StreamInspector(receivers);
    };
    const meterBefore = this.meter;
    const tracks = await stream.start(this.created!, this.view === 'canvas' ? paintItself : this.inspect ? inspect : undefined);
    if (this.signer) {
      const latencyFrom = this.meter === meterBefore ? (this.meter?.latency.samples.length ?? 0) : 0;
      this.watching = { created: this.created!, signer: this.signer, joinedAt: Date.now(), stats: null, latencyFrom };
    }
    this.speaker.srcObject = new MediaStream([tracks.audio]);
    this.statsMonitor = new StatsMonitor();
    this.watchdog.arm();
    if (this.view === 'video') {
      this.video.srcObject = new MediaStream([tracks.video]);
      await this.video.play().catch(() => undefined);
      if (this.meter === undefined) {
        const meter = new LatencyMeter(this.video, inputAt);
        meter.start();
        this.meter = meter;
        this.pacer.start(this.video);
      }
    }
    // Allowed: the player clicked Play. Were it refused, the game would still play, silently.
    await this.speaker.play().catch(() => undefined);
  }

  /**
   * Frames stopped: a node that still answers is only slow (a loaded machine, a congested link),
   * and moving the player would cost them their game; one that does not is gone.
   */
  private async stalled(): Promise<void> {
    const stream = this.stream;
    if (await stream.answers(STALL_CONFIRM_MS)) {
      if (stream === this.stream) this.watchdog.resume();
      return;
    }
    await this.streamLost(stream);
  }

  /**
   * The node (or the way to it) failed while the game did not end: the session moves to another
   * node by itself, leaving out the ones that failed, with a notice on screen meanwhile. A game's
   * own death is not this: the node announces it, and the session ends with its message.
   */
  private async streamLost(lost: StreamClient): Promise<void> {
    if (lost !== this.stream || this.endedNotice || this.leaving || !this.created) return;
    this.failedNodes.push({ nodeId: this.created.nodeId, at: Date.now() });
    this.fruitlessFailovers = this.watchdog.firstFrameAt === null ? this.fruitlessFailovers + 1 : 0;
    this.watchdog.disarm();
    lost.close();
    // The lost node's operator is paid for what the player watched there, as far as its own record agrees.
    void this.reportUsage();
    // Each session is bound to a key of its own: one session's key signs nothing for another.
    this.signer = undefined;
    this.stream = new StreamClient();
    if (this.fruitlessFailovers >= MAX_FRUITLESS_FAILOVERS) {
      this.finish({ reason: 'media_failed', code: STREAM_LOST, message: 'The connection to the game servers keeps failing. Please try again later.' });
      return;
    }
    this.onNotice(FAILOVER_NOTICE);
    try {
      this.created = await this.place(this.created.game.id, this.launchOptions);
      if (this.leaving) return;
      await this.connect();
      this.onNotice(null);
    } catch (error) {
      const message = error instanceof Error ? error.message : 'No other game server could take over.';
      this.finish({ reason: 'media_failed', code: STREAM_LOST, message: `The game server stopped answering and no other could take over: ${message}` });
    }
  }

  snapshot(): PlayerSnapshot {
    return {
      sessionId: this.created?.sessionId ?? null,
      nodeId: this.created?.nodeId ?? null,
      placement: this.progress,
      probes: this.probes,
      probeRttMs: this.probes.find((probe) => probe.nodeId === this.created?.nodeId)?.rttMs ?? null,
      stats: this.lastStats,
      latencyP50: this.meter?.latency.percentile(50) ?? null,
      latencyP95: this.meter?.latency.percentile(95) ?? null,
      latencySamples: this.meter?.latency.samples ?? [],
      lastInputSeq: this.capture?.lastSeq ?? 0,
      lastFrameSeq: this.meter?.latency.lastFrameSeq ?? null,
      framesSeen: this.meter?.framesSeen ?? 0,
      framesPresented: this.meter?.framesPresented ?? 0,
      view: this.view,
      ended: this.endedNotice,
      failedNodes: this.failedNodes.map((failed) => failed.nodeId),
      firstFrameAt: this.watchdog.firstFrameAt,
      encodedStream: this.inspector?.report ?? null,
      pacing: this.pacer.report,
    };
  }

  /** Resolves once the usage record sent at the end was accepted (null if there was none to send, or it failed). */
  usageReported(): Promise<UsageAccepted | null> {
    return this.usageReport ?? Promise.resolve(null);
  }

  get muted(): boolean {
    return this.speaker.muted;
  }

  set muted(muted: boolean) {
    this.speaker.muted = muted;
  }

  async leave(): Promise<void> {
    this.leaving = true;
    await this.stream.leave();
    this.finish(LEFT);
  }

  /**
   * Signs what this page watched on the current stream and hands it in, once; the operator is paid
   * no more than this. Called as the stream is lost to a failover, and as the session ends.
   */
  private async reportUsage(): Promise<UsageAccepted | null> {
    const watched = this.watching;
    this.watching = undefined;
    if (!watched) return null;
    const latency = this.meter?.latency;
    const own = Math.max(0, (latency?.samples.length ?? 0) - watched.latencyFrom);
    const payload = usageRecord({
      session: watched.created,
      joinedAt: watched.joinedAt,
      endedAt: Date.now(),
      stats: watched.stats,
      latencyP50Ms: own > 0 ? (latency?.percentile(50, own) ?? null) : null,
      latencyP95Ms: own > 0 ? (latency?.percentile(95, own) ?? null) : null,
    });
    const signed = await watched.signer.sign(payload).catch(() => null);
    return signed === null ? null : deliverUsage((record) => this.api.reportUsage(record), signed);
  }

  private async pollStats(): Promise<void> {
    const { stream, statsMonitor, watching } = this;
    const report = await stream.stats();
    // A failover meanwhile: these counters belong to a stream already reported.
    if (stream !== this.stream) return;
    const stats = statsMonitor.update(report);
    if (stats && watching === this.watching && watching) watching.stats = stats;
    this.lastStats = stats ?? this.lastStats;
    this.onStats(this.snapshot());
  }

  private finish(notice: SessionEndedNotice): void {
    if (this.endedNotice) return;
    this.endedNotice = notice;
    window.clearInterval(this.statsTimer);
    this.watchdog.stop();
    this.onNotice(null);
    this.capture?.stop();
    this.meter?.stop();
    this.inspector?.stop();
    this.pacer.stop();
    this.speaker.srcObject = null;
    this.stream.close();
    this.usageReport = this.reportUsage();
    this.onEnded(notice);
  }
}
