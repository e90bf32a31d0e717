/**
 * An unmodified Linux game on a display of its own: Xvfb for the session, the game in its sandbox
 * with only that display's socket (and its sound server's) mounted in, ffmpeg capturing the
 * screen into the same frames a frames-protocol game sends, xdotool injecting the player's input,
 * and a PulseAudio null sink carrying its sound. To the session it looks like any other game.
 *
 * The game cannot draw the latency strip, so the node stamps it: each frame carries the sequence
 * number of the last input handed to the injector before that frame's capture began (both on the
 * wall clock: screen-capture.ts, injection-log.ts). The figure is then the service's own share,
 * input to a frame captured after it; how soon the game itself answers is not in it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AppError } from '../../protocol/errors.js';
import { i420Size, PIXEL_FORMAT_I420, type FrameHeader } from '../../protocol/game-protocol.js';
import type { InputEvent } from '../../protocol/input.js';
import { stampStripI420 } from '../../protocol/latency-strip.js';
import type { GameExit, GameProcessEvents } from '../game/game-process.js';
import type { RunningGame } from '../game/running-game.js';
import { Sandbox, type SandboxOptions } from '../sandbox/sandbox.js';
import type { LimitBreach } from '../sandbox/sandbox-limits.js';
import { CapturePhase } from './capture-phase.js';
import { InjectionLog } from './injection-log.js';
import { InputInjector } from './input-injector.js';
import { ScreenCapture } from './screen-capture.js';
import { SoundSink } from './sound-sink.js';
import { forwardLogLines } from './log-lines.js';
import { VirtualDisplay } from './virtual-display.js';

export interface X11GameOptions extends SandboxOptions {
  program: string;
  args?: string[];
  width: number;
  height: number;
  fps: number;
  latencyStrip: boolean;
}

/** Where the sound server's socket directory appears inside the sandbox. */
const SOUND_MOUNT = '/run/pulse';
const DEFAULT_STOP_GRACE_MS = 2000;

interface Parts {
  sandbox: Sandbox;
  display: VirtualDisplay;
  sound: SoundSink | undefined;
  game: ChildProcess;
  capture: ScreenCapture;
  input: InputInjector;
}

export class X11Game extends EventEmitter<GameProcessEvents> implements RunningGame {
  /** Its sandbox's cgroup sets its CPU share (edge-node/sandbox). */
  readonly pid = undefined;
  private readonly injections = new InjectionLog();
  private readonly phase: CapturePhase;
  private frameNumber = 0;
  private breach: LimitBreach | null = null;
  private sentSignal: NodeJS.Signals | null = null;
  private captureFailed = false;
  private result: GameExit | null = null;
  private killTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly parts: Parts,
    private readonly options: X11GameOptions,
  ) {
    super();
    this.phase = new CapturePhase(1000 / options.fps);
    const { sandbox, sound, game, capture } = parts;
    capture.on('frame', (pixels, capturedAtMs) => this.onFrame(pixels, capturedAtMs));
    capture.once('exit', () => {
      if (this.result || this.sentSignal) return;
      this.captureFailed = true;
      this.kill('SIGKILL');
    });
    sound?.on('audio', (header, samples) => this.emit('audio', header, samples));
    for (const stream of [game.stdout, game.stderr]) forwardLogLines(stream, (line) => this.emit('log', line));
    sandbox.watch((breach) => {
      this.breach = breach;
      this.kill('SIGKILL');
    });
    game.once('exit', (code, signal) => void this.finish(code, signal));
  }

  static async start(options: X11GameOptions): Promise<X11Game> {
    const sandbox = await Sandbox.create(options);
    const { logger } = options;
    const uid = sandbox.uid;
    let display: VirtualDisplay | undefined;
    let sound: SoundSink | undefined;
    try {
      display = await VirtualDisplay.start({ width: options.width, height: options.height, uid, logger });
      sound = await SoundSink.start({ dir: join(options.root, `${options.sessionId}.sound`), uid, logger }).catch((error: unknown) => {
        logger.warn({ err: error, sessionId: options.sessionId }, 'no sound server for the game; it streams silent');
        return undefined;
      });
      const binds = [{ source: display.socketPath, target: display.socketPath }, ...(sound ? [{ source: sound.dir, target: SOUND_MOUNT }] : [])];
      const { command, args } = sandbox.command(options.program, options.args, binds);
      const game = spawn(command, args, {
        env: {
          PATH: '/usr/local/bin:/usr/bin:/bin',
          DISPLAY: display.name,
          // Mesa renders OpenGL on the CPU where the rig has no GPU for the game.
          LIBGL_ALWAYS_SOFTWARE: '1',
          ...(sound ? SoundSink.gameEnv(SOUND_MOUNT) : {}),
          EDGEPLAY_WIDTH: String(options.width),
          EDGEPLAY_HEIGHT: String(options.height),
          EDGEPLAY_FPS: String(options.fps),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // Twice the stream's rate, so that the page's pacer can choose the phase of the frames kept (capture-phase.ts).
      const capture = new ScreenCapture({ display: display.name, width: options.width, height: options.height, fps: options.fps * 2, uid, logger });
      const input = new InputInjector({ display: display.name, uid, logger });
      return new X11Game({ sandbox, display, sound, game, capture, input }, options);
    } catch (error) {
      await sound?.stop();
      await display?.stop();
      await sandbox.dispose();
      logger.error({ err: error, sessionId: options.sessionId }, 'x11 game could not start');
      throw error instanceof AppError ? error : new AppError('GAME_START_FAILED');
    }
  }

  /** The display server, capture, input injector and sound server: they serve the player as much as the game does. */
  get helperPids(): number[] {
    const { display, sound, capture, input } = this.parts;
    return [...display.pids, ...capture.pids, ...input.pids, ...(sound?.pids ?? [])];
  }

  sendInput(event: InputEvent): boolean {
    if (this.result || !this.parts.input.inject(event)) return false;
    this.injections.record(event.seq, performance.timeOrigin + performance.now());
    return true;
  }

  /** An unmodified game keeps its own clock. */
  sendPace(shiftMs: number): boolean {
    if (this.result) return false;
    this.phase.shift(shiftMs);
    return true;
  }

  stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<GameExit> {
    if (this.result) return Promise.resolve(this.result);
    const exited = new Promise<GameExit>((resolve) => this.once('exit', resolve));
    if (!this.sentSignal) {
      this.kill('SIGTERM');
      this.killTimer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    }
    return exited;
  }

  private onFrame(pixels: Buffer, capturedAtMs: number): void {
    if (!this.phase.take(capturedAtMs)) return;
    const seq = this.injections.lastBefore(capturedAtMs);
    if (this.options.latencyStrip) stampStripI420(pixels, this.options.width, this.options.height, seq);
    const header: FrameHeader = {
      width: this.options.width,
      height: this.options.height,
      format: PIXEL_FORMAT_I420,
      frameNumber: this.frameNumber++,
      inputSeq: seq,
      renderTimeMs: performance.now(),
      payloadLength: i420Size(this.options.width, this.options.height),
    };
    this.emit('frame', header, pixels);
  }

  private kill(signal: NodeJS.Signals): void {
    if (this.result || this.parts.game.exitCode !== null || this.parts.game.signalCode !== null) return;
    this.sentSignal = signal;
    this.parts.game.kill(signal);
  }

  private async finish(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    clearTimeout(this.killTimer);
    const { sandbox, display, sound, capture, input } = this.parts;
    this.breach ??= await sandbox.currentBreach();
    await Promise.all([capture.stop(), input.stop(), sound?.stop()]);
    await display.stop();
    await sandbox.dispose();
    const crashed = this.captureFailed || (code !== null && code !== 0) || (signal !== null && signal !== this.sentSignal);
    this.result = { code, signal, crashed, ...(this.breach ? { limit: this.breach } : {}) };
    this.emit('exit', this.result);
  }
}
