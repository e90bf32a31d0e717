/**
 * One play session in the page, end to end: ask the control plane for a node, stream from it,
 * capture input, measure latency and stats. The UI listens; tests and benchmarks read `snapshot()`.
 */
import { ApiClient } from './api-client.js';
import { InputCapture } from './input-capture.js';
import { LatencyMeter } from './latency-meter.js';
import { StatsMonitor, type StreamStats } from './stats-monitor.js';
import { StreamClient } from './stream-client.js';
import type { SessionEndedNotice } from '../../../protocol/signalling.js';
import type { SessionCreated } from '../../../protocol/http.js';

export interface PlayerSnapshot {
  sessionId: string | null;
  nodeId: string | null;
  stats: StreamStats | null;
  latencyP50: number | null;
  latencyP95: number | null;
  latencySamples: number[];
  lastInputSeq: number;
  lastFrameSeq: number | null;
  framesSeen: number;
  ended: SessionEndedNotice | null;
}

export class PlayerSession {
  private readonly stream = new StreamClient();
  private readonly statsMonitor = new StatsMonitor();
  private capture: InputCapture | undefined;
  private meter: LatencyMeter | undefined;
  private statsTimer: number | undefined;
  private created: SessionCreated | undefined;
  private lastStats: StreamStats | null = null;
  private endedNotice: SessionEndedNotice | null = null;

  constructor(
    private readonly api: ApiClient,
    private readonly video: HTMLVideoElement,
    private readonly onStats: (snapshot: PlayerSnapshot) => void,
    private readonly onEnded: (notice: SessionEndedNotice) => void,
  ) {}

  async launch(gameId: string): Promise<void> {
    this.created = await this.api.createSession(gameId);
    this.stream.onEnded((notice) => this.finish(notice));
    const track = await this.stream.start(this.created);
    this.video.srcObject = new MediaStream([track]);
    await this.video.play().catch(() => undefined);
    this.capture = new InputCapture(this.video, (event) => this.stream.send(event));
    this.capture.start();
    this.meter = new LatencyMeter(this.video, this.capture.sentAt);
    this.meter.start();
    this.statsTimer = window.setInterval(() => void this.pollStats(), 1000);
  }

  snapshot(): PlayerSnapshot {
    return {
      sessionId: this.created?.sessionId ?? null,
      nodeId: this.created?.nodeId ?? null,
      stats: this.lastStats,
      latencyP50: this.meter?.percentile(50) ?? null,
      latencyP95: this.meter?.percentile(95) ?? null,
      latencySamples: this.meter?.samples ?? [],
      lastInputSeq: this.capture?.lastSeq ?? 0,
      lastFrameSeq: this.meter?.lastFrameSeq ?? null,
      framesSeen: this.meter?.framesSeen ?? 0,
      ended: this.endedNotice,
    };
  }

  async leave(): Promise<void> {
    await this.stream.leave();
    this.finish({ reason: 'player_left', message: 'You left the game.' });
  }

  private async pollStats(): Promise<void> {
    const { video, transport } = await this.stream.stats();
    this.lastStats = this.statsMonitor.update([video, transport]) ?? this.lastStats;
    this.onStats(this.snapshot());
  }

  private finish(notice: SessionEndedNotice): void {
    if (this.endedNotice) return;
    this.endedNotice = notice;
    window.clearInterval(this.statsTimer);
    this.capture?.stop();
    this.meter?.stop();
    this.stream.close();
    this.onEnded(notice);
  }
}
