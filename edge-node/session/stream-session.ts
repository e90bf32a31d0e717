/**
 * One player on one slot: the game process, its video and audio on a router of its own, the player's
 * WebRTC transports, and the input data channel back into the game. It ends exactly once, for a
 * reason (player left, game exited or crashed, idle, shutdown), and then releases everything.
 */
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { AppError } from '../../protocol/errors.js';
import type { SessionEndReason, SessionUsage } from '../../protocol/http.js';
import type { SessionTicketClaims } from '../../protocol/ticket.js';
import type { ConsumerOptions, TransportOptions } from '../../protocol/signalling.js';
import { GameProcess } from '../game/game-process.js';
import type { RunningGame } from '../game/running-game.js';
import { InputGate } from '../input/input-gate.js';
import { AudioSource } from '../media/audio-source.js';
import { VideoSource } from '../media/video-source.js';
import type { VideoEncoderOptions } from '../media/video-encoder.js';
import { INITIAL_AVAILABLE_BITRATE, routerMediaCodecs } from '../media/router-config.js';
import { watchAvailableBitrate } from '../media/available-bitrate.js';
import { watchReceiverReports } from '../media/receiver-reports.js';
import { withPlayerArguments } from './player-arguments.js';
import { SessionCaps } from './session-caps.js';

export interface GameLaunch {
  command: string;
  args: string[];
  cwd?: string;
  width: number;
  height: number;
  fps: number;
  /** The game's own settings, added to its environment. */
  env?: Record<string, string>;
  /** Starts the game another way than as a plain frames process (a studio build in its sandbox, an X11 game). */
  start?: (context: { latencyStrip: boolean }) => Promise<RunningGame>;
}

export interface StreamSessionOptions {
  claims: SessionTicketClaims;
  worker: types.Worker;
  game: GameLaunch;
  /** Address the player's browser reaches this node's WebRTC ports on. */
  listenIp: string;
  announcedAddress?: string;
  lowLatency: boolean;
  encoder?: Partial<VideoEncoderOptions>;
  latencyStrip: boolean;
  idleTimeoutMs: number;
  /** A player whose video has not connected this long after joining is taken to have gone (the tab closed while connecting). */
  mediaConnectTimeoutMs?: number;
  logger: Logger;
  /** Told each video frame's encode time (the node's metrics). */
  onEncoded?: (encodeMs: number) => void;
}

/** How often the player's receiver reports and the congestion controller's estimate are read for the bitrate controller. */
const REPORT_POLL_MS = 250;
/** A page on a working network connects its video within a few seconds of joining. */
const DEFAULT_MEDIA_CONNECT_TIMEOUT_MS = 20_000;

/** Pace reports closer together than this are refused (a page sends one a second). */
const MIN_PACE_INTERVAL_MS = 500;

interface StreamSessionEvents {
  ended: [reason: SessionEndReason, usage: SessionUsage];
}

export class StreamSession extends EventEmitter<StreamSessionEvents> {
  readonly id: string;
  readonly startedAt = Date.now();
  readonly input = new InputGate();
  private readonly transports = new Map<string, types.WebRtcTransport>();
  private consumer: types.Consumer | undefined;
  private audioConsumer: types.Consumer | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly mediaConnectTimer: NodeJS.Timeout;
  private readonly caps = new SessionCaps();
  private lastInputAt = Date.now();
  private lastPaceAt = -Infinity;
  private endedReason: SessionEndReason | undefined;
  private stopReportWatch: (() => void) | undefined;
  private stopEstimateWatch: (() => void) | undefined;
  /** Why the session ended, when that has a code of its own for the player (a limit the game broke). */
  endError: AppError | undefined;

  private constructor(
    private readonly options: StreamSessionOptions,
    readonly router: types.Router,
    readonly video: VideoSource,
    readonly audio: AudioSource,
    readonly game: RunningGame,
    private readonly logger: Logger,
  ) {
    super();
    this.id = options.claims.sid;
    game.on('frame', (header, pixels) => video.pushFrame(header, pixels));
    game.on('audio', (header, samples) => audio.pushChunk(header, samples));
    game.on('log', (line) => logger.debug({ line }, 'game log'));
    game.on('exit', ({ crashed, limit }) => {
      if (limit) this.end('game_limit_exceeded', new AppError(limit));
      else this.end(crashed ? 'game_crashed' : 'game_exited');
    });
    this.armIdleTimer(options.idleTimeoutMs);
    this.mediaConnectTimer = setTimeout(() => {
      this.logger.info('the player did not connect the video in time');
      this.end('media_failed');
    }, options.mediaConnectTimeoutMs ?? DEFAULT_MEDIA_CONNECT_TIMEOUT_MS);
    this.mediaConnectTimer.unref();
  }

  static async start(options: StreamSessionOptions): Promise<StreamSession> {
    const logger = options.logger.child({ sessionId: options.claims.sid });
    const router = await options.worker.createRouter({ mediaCodecs: routerMediaCodecs });
    const { width, height, fps } = options.game;
    let video: VideoSource | undefined;
    let audio: AudioSource | undefined;
    try {
      video = await VideoSource.create({ router, width, height, fps, playoutDelay: options.lowLatency, latencyStrip: options.latencyStrip, encoder: options.encoder ?? {}, logger, onEncoded: options.onEncoded });
      audio = await AudioSource.create({ router, logger });
      const game = options.game.start
        ? await options.game.start({ latencyStrip: options.latencyStrip })
        : GameProcess.start({ ...options.game, latencyStrip: options.latencyStrip, env: options.game.env ?? {} });
      logger.info({ gameId: options.claims.gameId, width, height, fps, lowLatency: options.lowLatency }, 'session started');
      return new StreamSession(options, router, video, audio, game, logger);
    } catch (error) {
      video?.close();
      audio?.close();
      router.close();
      logger.error({ err: error }, 'session could not start');
      throw error instanceof AppError ? error : new AppError('GAME_START_FAILED');
    }
  }

  get ended(): boolean {
    return this.endedReason !== undefined;
  }

  /** The player's video consumer, once they consume (tests read its RTCP feedback and stats). */
  get videoConsumer(): types.Consumer | undefined {
    return this.consumer;
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.router.rtpCapabilities;
  }

  async createTransport(direction: 'send' | 'recv'): Promise<TransportOptions> {
    this.caps.take('transports');
    const transport = await this.router.createWebRtcTransport({
      listenInfos: [
        { protocol: 'udp', ip: this.options.listenIp, announcedAddress: this.options.announcedAddress },
        { protocol: 'tcp', ip: this.options.listenIp, announcedAddress: this.options.announcedAddress },
      ],
      preferUdp: true,
      enableSctp: direction === 'send',
      initialAvailableOutgoingBitrate: INITIAL_AVAILABLE_BITRATE,
      appData: { direction },
    });
    this.transports.set(transport.id, transport);
    if (direction === 'recv') {
      this.stopEstimateWatch?.();
      this.stopEstimateWatch = watchAvailableBitrate(transport, REPORT_POLL_MS, (bitsPerSecond) => this.video.setAvailableBitrate(bitsPerSecond));
    }
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') this.end('media_failed');
      if (state === 'connected' && direction === 'recv') clearTimeout(this.mediaConnectTimer);
    });
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
      sctpParameters: transport.sctpParameters,
    };
  }

  async connectTransport(transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    const transport = this.transport(transportId);
    await withPlayerArguments('the DTLS parameters', () => transport.connect({ dtlsParameters }));
  }

  async consumeVideo(rtpCapabilities: types.RtpCapabilities): Promise<ConsumerOptions> {
    this.consumer?.close();
    // Paused until the page resumes it, so that its first frame is the keyframe asked for then.
    this.consumer = await this.consume(this.video.producer, rtpCapabilities, true, 'This browser cannot decode H.264 constrained baseline video.');
    this.stopReportWatch?.();
    this.stopReportWatch = watchReceiverReports(this.consumer, REPORT_POLL_MS, (report) => this.video.receiverReport(report));
    return consumerOptions(this.consumer);
  }

  /** The game's sound, flowing at once: audio needs no keyframe to start from. */
  async consumeAudio(rtpCapabilities: types.RtpCapabilities): Promise<ConsumerOptions> {
    this.audioConsumer?.close();
    this.audioConsumer = await this.consume(this.audio.producer, rtpCapabilities, false, 'This browser cannot decode Opus audio.');
    return consumerOptions(this.audioConsumer);
  }

  private async consume(producer: types.Producer, rtpCapabilities: types.RtpCapabilities, paused: boolean, unsupported: string): Promise<types.Consumer> {
    const recv = [...this.transports.values()].find((t) => t.appData['direction'] === 'recv');
    if (!recv) throw new AppError('VALIDATION_FAILED', `Create a recv transport before consuming ${producer.kind}.`);
    if (!this.router.canConsume({ producerId: producer.id, rtpCapabilities })) throw new AppError('MEDIA_FAILED', unsupported);
    this.caps.take('consumers');
    return withPlayerArguments('the RTP capabilities', () => recv.consume({ producerId: producer.id, rtpCapabilities, paused }));
  }

  async resumeVideo(): Promise<void> {
    if (!this.consumer) throw new AppError('VALIDATION_FAILED', 'Consume the video before resuming it.');
    await this.consumer.resume();
    await this.consumer.requestKeyFrame();
  }

  /**
   * Moves the game's frame clock as the player's page asks (web-client frame-pacer.ts). A page
   * sends one shift a second; more often, the game would be steered by stale measurements.
   */
  pace(shiftMs: number): void {
    // Frame pacing is one of the low-latency measures; without them the game keeps its own clock.
    if (!this.options.lowLatency) return;
    const now = Date.now();
    if (now - this.lastPaceAt < MIN_PACE_INTERVAL_MS) throw new AppError('PACE_RATE_LIMITED');
    this.lastPaceAt = now;
    this.game.sendPace(shiftMs);
  }

  /** The player's input channel: their DataProducer, read here through a DataConsumer on the direct transport. */
  async produceInput(transportId: string, sctpStreamParameters: types.SctpStreamParameters, label: string): Promise<string> {
    const transport = this.transport(transportId);
    this.caps.take('dataChannels');
    const dataProducer = await withPlayerArguments('the data channel parameters', () => transport.produceData({ sctpStreamParameters, label, protocol: 'json' }));
    await this.attachInput(dataProducer);
    return dataProducer.id;
  }

  /** Feeds a data producer on this session's router into the input gate and on to the game. */
  async attachInput(dataProducer: types.DataProducer): Promise<void> {
    const dataConsumer = await this.video.transport.consumeData({ dataProducerId: dataProducer.id });
    dataConsumer.on('message', (message: Buffer) => this.onInput(message));
  }

  end(reason: SessionEndReason, error?: AppError): void {
    if (this.endedReason) return;
    this.endedReason = reason;
    this.endError = error;
    clearTimeout(this.idleTimer);
    this.stopReportWatch?.();
    this.stopEstimateWatch?.();
    clearTimeout(this.mediaConnectTimer);
    this.game.removeAllListeners('frame');
    this.game.removeAllListeners('audio');
    void this.game.stop(1000);
    this.video.close();
    this.audio.close();
    this.router.close();
    const usage: SessionUsage = {
      startedAt: this.startedAt,
      endedAt: Date.now(),
      framesSent: this.video.stats.framesEncoded,
      bytesSent: this.video.stats.bytesSent,
      width: this.options.game.width,
      height: this.options.game.height,
    };
    this.logger.info({ reason, video: this.video.stats, audio: this.audio.stats, input: this.input.stats }, 'session ended');
    this.emit('ended', reason, usage);
  }

  private onInput(message: Buffer): void {
    const result = this.input.admit(message);
    if (!result.ok) {
      if (this.input.dropped % 100 === 1) this.logger.warn({ reason: result.reason, input: this.input.stats }, 'input dropped');
      return;
    }
    this.lastInputAt = Date.now();
    this.game.sendInput(result.event);
  }

  /** One timer per session, re-armed only when it fires: inputs just stamp the time, off the timer path. */
  private armIdleTimer(delayMs: number): void {
    this.idleTimer = setTimeout(() => {
      const idleFor = Date.now() - this.lastInputAt;
      if (idleFor >= this.options.idleTimeoutMs) this.end('idle_timeout');
      else this.armIdleTimer(this.options.idleTimeoutMs - idleFor);
    }, delayMs);
    this.idleTimer.unref();
  }

  private transport(id: string): types.WebRtcTransport {
    const transport = this.transports.get(id);
    if (!transport) throw new AppError('VALIDATION_FAILED', `No transport ${id} in this session.`);
    return transport;
  }
}

function consumerOptions(consumer: types.Consumer): ConsumerOptions {
  return { id: consumer.id, producerId: consumer.producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters };
}
