/**
 * A frame-protocol game from a studio's build, run inside its sandbox: the GameProcess speaks to
 * bwrap's pipes exactly as to an unsandboxed game. When the sandbox sees a limit broken the game
 * is killed at once and its exit names the limit; the sandbox is taken down after the exit.
 */
import { EventEmitter } from 'node:events';
import type { InputEvent } from '../../protocol/input.js';
import { GameProcess, type GameExit, type GameProcessEvents } from '../game/game-process.js';
import type { RunningGame } from '../game/running-game.js';
import { Sandbox, type SandboxOptions } from './sandbox.js';
import type { LimitBreach } from './sandbox-limits.js';

export interface SandboxedGameOptions extends SandboxOptions {
  /** The program inside the sandbox, e.g. /game/bin/game. */
  program: string;
  args?: string[];
  env?: Record<string, string>;
  width: number;
  height: number;
  fps: number;
  latencyStrip: boolean;
}

const EVENTS = ['frame', 'audio', 'log'] as const;

export class SandboxedGame extends EventEmitter<GameProcessEvents> implements RunningGame {
  /** Its sandbox's cgroup sets its CPU share (edge-node/sandbox). */
  readonly pid = undefined;
  private breach: LimitBreach | null = null;
  private result: GameExit | null = null;

  private constructor(
    readonly sandbox: Sandbox,
    private readonly process: GameProcess,
  ) {
    super();
    for (const event of EVENTS) process.on(event, (...args: unknown[]) => (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args));
    // Informational, as GameProcess's own: never thrown when nobody listens.
    process.on('error', (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
    sandbox.watch((breach) => {
      this.breach = breach;
      void process.stop(0);
    });
    process.once('exit', (exit) => void this.finish(exit));
  }

  static async start(options: SandboxedGameOptions): Promise<SandboxedGame> {
    const sandbox = await Sandbox.create(options);
    const { command, args } = sandbox.command(options.program, options.args);
    const process = GameProcess.start({ command, args, env: options.env, width: options.width, height: options.height, fps: options.fps, latencyStrip: options.latencyStrip });
    return new SandboxedGame(sandbox, process);
  }

  sendInput(event: InputEvent): boolean {
    return this.process.sendInput(event);
  }

  sendPace(shiftMs: number): boolean {
    return this.process.sendPace(shiftMs);
  }

  stop(graceMs?: number): Promise<GameExit> {
    if (this.result) return Promise.resolve(this.result);
    const exited = new Promise<GameExit>((resolve) => this.once('exit', resolve));
    void this.process.stop(graceMs);
    return exited;
  }

  private async finish(exit: GameExit): Promise<void> {
    // A game that hit its quota may exit on the failed write before the watch looked.
    this.breach ??= (await this.sandbox.currentBreach()) ?? (exit.signal === 'SIGXFSZ' ? 'GAME_DISK_LIMIT' : null);
    await this.sandbox.dispose();
    this.result = this.breach ? { ...exit, limit: this.breach } : exit;
    this.emit('exit', this.result);
  }
}
