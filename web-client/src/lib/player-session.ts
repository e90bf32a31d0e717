/**
 * One play session in the page, end to end: get placed on the node with the lowest measured
 * round trip, stream from it, capture input, measure latency and stats. The UI listens; tests and
 * benchmarks read `snapshot()`.
 */
import { ApiClient } from './api-client.js';
import { InputCapture } from './input-capture.js';
import { FramePacer } from './frame-pacer.js';
import { LatencyMeter } from './latency-meter.js';
import { place, type PlacementProgress } from './placement-flow.js';
import { measureCandidates } from './rtt-prober.js';
import { StatsMonitor, type StreamStats } from './stats-monitor.js';
import { StreamClient } from './stream-client.js';
import type { SessionEndedNotice } from '../../../protocol/signalling.js';
import type { GeoPoint, SessionCreated } from '../../../protocol/http.js';
import type { RttMeasurement } from '../../../protocol/placement.js';
import type { PlayerUsageKey, UsageAccepted } from '../../../protocol/metering.js';
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
  latencySamples: number[];
  lastInputSeq: number;
  lastFrameSeq: number | null;
  framesSeen: number;
  framesPresented: number;
  ended: SessionEndedNotice | null;
}

export interface LaunchOptions {
  location?: GeoPoint;
  /** Aborting leaves the queue (or gives the offer up) while the player is not placed yet. */
  signal?: AbortSignal;
  onProgress?: (progress: PlacementProgress) => void;
}

const LEFT: SessionEndedNotice = { reason: 'player_left', message: 'You left the game.' };

export class PlayerSession {
  private readonly stream = new StreamClient();
  /** Plays the game's sound; not in the document, and apart from the video so nothing syncs them. */
  private readonly speaker = new Audio();
  private readonly statsMonitor = new StatsMonitor();
  private capture: InputCapture | undefined;
  private meter: LatencyMeter | undefined;
  private readonly pacer = new FramePacer((shiftMs) => void this.stream.pace(shiftMs));
  private statsTimer: number | undefined;
  private created: SessionCreated | undefined;
  private progress: PlacementProgress | null = null;
  private probes: RttMeasurement[] = [];
  private lastStats: StreamStats | null = null;
  private endedNotice: SessionEndedNotice | null = null;
  private leaving = false;
  private signer: UsageSigner | undefined;
  private joinedAt = 0;
  /** The signed usage record handed in when the session ended (tests read its outcome). */
  private usageReport: Promise<UsageAccepted | null> | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly video: HTMLVideoElement,
    private readonly onStats: (snapshot: PlayerSnapshot) => void,
    private readonly onEnded: (notice: SessionEndedNotice) => void,
  ) {}

  /** The public half of this session's usage key, made before placement so the control plane binds it. */
  async usageKey(): Promise<PlayerUsageKey> {
    this.signer ??= await UsageSigner.create();
    return this.signer.publicKey;
  }

  async launch(gameId: string, options: LaunchOptions = {}): Promise<void> {
    const usageKey = await this.usageKey();
    const created = await place(this.api, {
      gameId,
      location: options.location,
      usageKey,
      signal: options.signal,
      onProgress: (progress) => {
        this.progress = progress;
        options.onProgress?.(progress);
      },
      measure: async (offer, signal) => (this.probes = await measureCandidates(offer, { signal })),
    });
    await this.join(created);
  }

  /** Streams a session already placed with this page's usage key. */
  async join(created: SessionCreated): Promise<void> {
    this.created = created;
    // The node confirms a leave with its own notice; the player should read that they left.
    this.stream.onEnded((notice) => this.finish(this.leaving ? LEFT : notice));
    const tracks = await this.stream.start(created);
    this.joinedAt = Date.now();
    this.video.srcObject = new MediaStream([tracks.video]);
    this.speaker.srcObject = new MediaStream([tracks.audio]);
    await this.video.play().catch(() => undefined);
    // Allowed: the player clicked Play. Were it refused, the game would still play, silently.
    await this.speaker.play().catch(() => undefined);
    this.capture = new InputCapture(this.video, (event) => this.stream.send(event));
    this.capture.start();
    this.meter = new LatencyMeter(this.video, this.capture.sentAt);
    this.meter.start();
    this.pacer.start(this.video);
    this.statsTimer = window.setInterval(() => void this.pollStats(), 1000);
  }

  snapshot(): PlayerSnapshot {
    return {
      sessionId: this.created?.sessionId ?? null,
      nodeId: this.created?.nodeId ?? null,
      placement: this.progress,
      probes: this.probes,
      probeRttMs: this.probes.find((probe) => probe.nodeId === this.created?.nodeId)?.rttMs ?? null,
      stats: this.lastStats,
      latencyP50: this.meter?.percentile(50) ?? null,
      latencyP95: this.meter?.percentile(95) ?? null,
      latencySamples: this.meter?.samples ?? [],
      lastInputSeq: this.capture?.lastSeq ?? 0,
      lastFrameSeq: this.meter?.lastFrameSeq ?? null,
      framesSeen: this.meter?.framesSeen ?? 0,
      framesPresented: this.meter?.framesPresented ?? 0,
      ended: this.endedNotice,
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

  /** Signs what this page watched and hands it in; the operator is paid no more than this. */
  private async reportUsage(): Promise<UsageAccepted | null> {
    if (!this.created || !this.signer || this.joinedAt === 0) return null;
    const whole = this.meter?.samples.length ?? 0;
    const payload = usageRecord({
      session: this.created,
      joinedAt: this.joinedAt,
      endedAt: Date.now(),
      stats: this.lastStats,
      latencyP50Ms: this.meter?.percentile(50, whole) ?? null,
      latencyP95Ms: this.meter?.percentile(95, whole) ?? null,
    });
    try {
      return await this.api.reportUsage(await this.signer.sign(payload));
    } catch {
      return null;
    }
  }

  private async pollStats(): Promise<void> {
    this.lastStats = this.statsMonitor.update(await this.stream.stats()) ?? this.lastStats;
    this.onStats(this.snapshot());
  }

  private finish(notice: SessionEndedNotice): void {
    if (this.endedNotice) return;
    this.endedNotice = notice;
    window.clearInterval(this.statsTimer);
    this.capture?.stop();
    this.meter?.stop();
    this.pacer.stop();
    this.speaker.srcObject = null;
    this.stream.close();
    this.usageReport = this.reportUsage();
    this.onEnded(notice);
  }
}
