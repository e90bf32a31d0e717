/**
 * One play session in the page, end to end: get placed on the node with the lowest measured
 * round trip, stream from it, capture input, measure latency and stats. The UI listens; tests and
 * benchmarks read `snapshot()`.
 */
import { ApiClient } from './api-client.js';
import { InputCapture } from './input-capture.js';
import { FramePacer } from './frame-pacer.js';
import { DecodedView } from './decoded-view/decoded-view.js';
import { LatencyMeter, type DisplayMeter } from './latency-meter.js';
import { place, type PlacementProgress } from './placement-flow.js';
import { measureCandidates } from './rtt-prober.js';
import { StatsMonitor, type StreamStats } from './stats-monitor.js';
import { StreamClient } from './stream-client.js';
import type { StreamView } from './view-choice.js';
import type { SessionEndedNotice } from '../../../protocol/signalling.js';
import type { GeoPoint, SessionCreated } from '../../../protocol/http.js';
import type { RttMeasurement } from '../../../protocol/placement.js';

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
}

export interface LaunchOptions {
  location?: GeoPoint;
  /** Aborting leaves the queue (or gives the offer up) while the player is not placed yet. */
  signal?: AbortSignal;
  onProgress?: (progress: PlacementProgress) => void;
  /** Default 'video'; 'canvas' needs DecodedView.supported(). */
  view?: StreamView;
}

const LEFT: SessionEndedNotice = { reason: 'player_left', message: 'You left the game.' };

export class PlayerSession {
  private readonly stream = new StreamClient();
  /** Plays the game's sound; not in the document, and apart from the video so nothing syncs them. */
  private readonly speaker = new Audio();
  private readonly statsMonitor = new StatsMonitor();
  private capture: InputCapture | undefined;
  private meter: DisplayMeter | undefined;
  private view: StreamView = 'video';
  private readonly pacer = new FramePacer((shiftMs) => void this.stream.pace(shiftMs));
  private statsTimer: number | undefined;
  private created: SessionCreated | undefined;
  private progress: PlacementProgress | null = null;
  private probes: RttMeasurement[] = [];
  private lastStats: StreamStats | null = null;
  private endedNotice: SessionEndedNotice | null = null;
  private leaving = false;

  constructor(
    private readonly api: ApiClient,
    private readonly video: HTMLVideoElement,
    private readonly onStats: (snapshot: PlayerSnapshot) => void,
    private readonly onEnded: (notice: SessionEndedNotice) => void,
  ) {}

  async launch(gameId: string, options: LaunchOptions = {}): Promise<void> {
    this.created = await place(this.api, {
      gameId,
      location: options.location,
      signal: options.signal,
      onProgress: (progress) => {
        this.progress = progress;
        options.onProgress?.(progress);
      },
      measure: async (offer, signal) => (this.probes = await measureCandidates(offer, { signal })),
    });
    // The node confirms a leave with its own notice; the player should read that they left.
    this.stream.onEnded((notice) => this.finish(this.leaving ? LEFT : notice));
    this.view = options.view ?? 'video';
    // The input surface is the <video> element on both views; the canvas lies over it.
    this.capture = new InputCapture(this.video, (event) => this.stream.send(event));
    const inputAt = this.capture.inputAt;
    const paintItself = (receivers: { video: RTCRtpReceiver; audio: RTCRtpReceiver }): void => {
      this.meter = new DecodedView(this.video, receivers, inputAt, (frame) => this.pacer.add(frame));
    };
    const tracks = await this.stream.start(this.created, this.view === 'canvas' ? paintItself : undefined);
    this.speaker.srcObject = new MediaStream([tracks.audio]);
    // Allowed: the player clicked Play. Were it refused, the game would still play, silently.
    await this.speaker.play().catch(() => undefined);
    this.capture.start();
    if (this.view === 'video') {
      this.video.srcObject = new MediaStream([tracks.video]);
      await this.video.play().catch(() => undefined);
      const meter = new LatencyMeter(this.video, inputAt);
      meter.start();
      this.meter = meter;
      this.pacer.start(this.video);
    }
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
      latencyP50: this.meter?.latency.percentile(50) ?? null,
      latencyP95: this.meter?.latency.percentile(95) ?? null,
      latencySamples: this.meter?.latency.samples ?? [],
      lastInputSeq: this.capture?.lastSeq ?? 0,
      lastFrameSeq: this.meter?.latency.lastFrameSeq ?? null,
      framesSeen: this.meter?.framesSeen ?? 0,
      framesPresented: this.meter?.framesPresented ?? 0,
      view: this.view,
      ended: this.endedNotice,
    };
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
    this.onEnded(notice);
  }
}
