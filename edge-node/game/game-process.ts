/**
 * Runs one game build as a child process speaking protocol/game-protocol.ts: frames and audio from its
 * stdout, GameCommand lines to its stdin, its stderr as log lines. Whatever the game does, the
 * owner hears exactly one 'exit'.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { encodeGameCommand, type AudioChunkHeader, type FrameHeader, type GameCommand } from '../../protocol/game-protocol.js';
import type { InputEvent } from '../../protocol/input.js';
import type { LimitBreach } from '../sandbox/sandbox-limits.js';
import { FrameReader } from './frame-reader.js';

/**
 * Input bytes allowed to wait in the stdin pipe. About a hundred events: past that the game is
 * not reading, and stale inputs delivered late are worse than dropped ones.
 */
const MAX_PENDING_INPUT_BYTES = 8 * 1024;
/** A game's log line longer than this is cut, so a game that never writes a newline cannot exhaust memory. */
const MAX_LOG_LINE = 4096;
/** A grandchild can keep the pipes open after the game exits; 'exit' should not wait on it forever. */
const STDIO_CLOSE_GRACE_MS = 1000;
const DEFAULT_STOP_GRACE_MS = 2000;

export interface GameProcessOptions {
  command: string;
  args?: string[];
  /**
   * The game's whole environment besides PATH and the EDGEPLAY_* variables: builds are untrusted,
   * so the node's own environment (tokens, keys) is not passed on.
   */
  env?: Record<string, string>;
  cwd?: string;
  width: number;
  height: number;
  fps: number;
  latencyStrip?: boolean;
}

export interface GameExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Non-zero exit, a signal we did not send, a start failure or a broken frame stream. */
  crashed: boolean;
  /** Set when the sandbox stopped the game for breaking this limit. */
  limit?: LimitBreach;
}

export interface GameProcessStats {
  framesReceived: number;
  audioChunksReceived: number;
  inputsSent: number;
  inputsDropped: number;
}

export interface GameProcessEvents {
  /** `pixels` is reused for the next frame: copy it if it must outlive the listener call. */
  frame: [header: FrameHeader, pixels: Buffer];
  /** `samples` is reused for the next chunk, like a frame's pixels. */
  audio: [header: AudioChunkHeader, samples: Buffer];
  exit: [exit: GameExit];
  /**
   * Why a game failed (start failure, garbage on stdout). Informational: 'exit' with crashed
   * true always follows, so unlike a plain EventEmitter this is never thrown when nobody listens.
   */
  error: [error: Error];
  log: [line: string];
}

export class GameProcess extends EventEmitter<GameProcessEvents> {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly reader: FrameReader;
  private readonly counters: GameProcessStats = { framesReceived: 0, audioChunksReceived: 0, inputsSent: 0, inputsDropped: 0 };
  private sentSignal: NodeJS.Signals | null = null;
  private failure: Error | null = null;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private result: GameExit | null = null;
  private killTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private logLine = '';

  private constructor(options: GameProcessOptions) {
    super();
    this.width = options.width;
    this.height = options.height;
    this.fps = options.fps;
    this.reader = new FrameReader(options.width, options.height);
    this.reader.on('frame', (header, pixels) => {
      this.counters.framesReceived++;
      this.emit('frame', header, pixels);
    });
    this.reader.on('audio', (header, samples) => {
      this.counters.audioChunksReceived++;
      this.emit('audio', header, samples);
    });
    this.reader.on('error', (error) => this.fail(error));

    this.child = spawn(options.command, options.args ?? [], {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH ?? '',
        ...options.env,
        EDGEPLAY_WIDTH: String(options.width),
        EDGEPLAY_HEIGHT: String(options.height),
        EDGEPLAY_FPS: String(options.fps),
        EDGEPLAY_LATENCY_STRIP: options.latencyStrip ? '1' : '0',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (chunk: Buffer) => this.reader.push(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => this.onLog(chunk));
    // Writes after the game died fail with EPIPE; the exit path reports that, not the stream.
    this.child.stdin.on('error', () => {});
    this.child.on('error', (error) => {
      // Without a pid the game never started, and no 'exit' will come: only 'close'.
      if (this.child.pid === undefined) this.fail(error);
      else this.emitError(error);
    });
    this.child.on('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      clearTimeout(this.killTimer);
      this.closeTimer = setTimeout(() => this.finish(), STDIO_CLOSE_GRACE_MS);
    });
    // After 'close' every frame and log line the game wrote has been delivered.
    this.child.on('close', () => this.finish());
  }

  static start(options: GameProcessOptions): GameProcess {
    return new GameProcess(options);
  }

  /** The game's process id; undefined when it could not be started. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get stats(): Readonly<GameProcessStats> {
    return { ...this.counters };
  }

  /** The exit, once it happened. */
  get exited(): GameExit | null {
    return this.result;
  }

  /** Returns false when the event was dropped: the game is gone, or not reading its input. */
  sendInput(event: InputEvent): boolean {
    const sent = this.trySend({ type: 'input', event });
    if (sent) this.counters.inputsSent++;
    else this.counters.inputsDropped++;
    return sent;
  }

  /** Advises the game to move its frame clock (GameCommand `pace`); dropped like an input when the game is not reading. */
  sendPace(shiftMs: number): boolean {
    return this.trySend({ type: 'pace', shiftMs });
  }

  /** Asks the game to quit, kills it if it is still running after `graceMs`, and resolves with its exit. */
  stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<GameExit> {
    if (this.result) return Promise.resolve(this.result);
    const exited = new Promise<GameExit>((resolve) => this.once('exit', resolve));
    if (this.exitInfo === null && this.killTimer === undefined) {
      if (this.child.stdin.writable) {
        this.writeCommand({ type: 'quit' });
        this.child.stdin.end();
      }
      this.killTimer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    }
    return exited;
  }

  /** Writes `command` unless the game is gone or has not read what it was sent already. */
  private trySend(command: GameCommand): boolean {
    const stdin = this.child.stdin;
    if (this.result || this.failure || !stdin.writable || stdin.writableLength >= MAX_PENDING_INPUT_BYTES) return false;
    this.writeCommand(command);
    return true;
  }

  private writeCommand(command: GameCommand): void {
    this.child.stdin.write(encodeGameCommand(command));
  }

  private kill(signal: NodeJS.Signals): void {
    if (this.exitInfo !== null) return;
    this.sentSignal = signal;
    this.child.kill(signal);
  }

  /** A game that breaks the protocol is ended at once: nothing after garbage can be trusted to be a frame. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.emitError(error);
    this.kill('SIGKILL');
  }

  private emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private onLog(chunk: string): void {
    this.logLine += chunk;
    let newline = this.logLine.indexOf('\n');
    while (newline >= 0) {
      this.emit('log', this.logLine.slice(0, newline));
      this.logLine = this.logLine.slice(newline + 1);
      newline = this.logLine.indexOf('\n');
    }
    if (this.logLine.length > MAX_LOG_LINE) {
      this.emit('log', this.logLine.slice(0, MAX_LOG_LINE));
      this.logLine = '';
    }
  }

  private finish(): void {
    if (this.result) return;
    clearTimeout(this.killTimer);
    clearTimeout(this.closeTimer);
    if (this.logLine !== '') this.emit('log', this.logLine);
    const code = this.exitInfo?.code ?? null;
    const signal = this.exitInfo?.signal ?? null;
    const crashed = this.failure !== null || (code !== null && code !== 0) || (signal !== null && signal !== this.sentSignal);
    this.result = { code, signal, crashed };
    this.emit('exit', this.result);
  }
}
