/** What a session drives, whatever runs the game: a frame-protocol process, sandboxed or not, or an X11 game behind capture. */
import type { EventEmitter } from 'node:events';
import type { InputEvent } from '../../protocol/input.js';
import type { GameExit, GameProcessEvents } from './game-process.js';

export interface RunningGame extends EventEmitter<GameProcessEvents> {
  /**
   * The game's process, for the node to give it CPU priority (edge-node/priority); undefined where
   * a sandbox's own cgroup already sets the game's CPU share, or once it has exited.
   */
  readonly pid: number | undefined;
  /**
   * Processes besides the game that serve its player (an x11 session's display server, capture,
   * input injector and sound server), for the node to give the same priority; they run outside
   * the sandbox, so nothing of its limits is lost when they move.
   */
  readonly helperPids?: readonly number[];
  /** Returns false when the event was dropped (the game is gone or not keeping up). */
  sendInput(event: InputEvent): boolean;
  /** Frame-clock advice; a game that cannot follow it ignores it. */
  sendPace(shiftMs: number): boolean;
  /** Asks the game to quit, kills it after `graceMs`, and resolves with its exit (exactly one). */
  stop(graceMs?: number): Promise<GameExit>;
}
