/**
 * Turns a cached build into what a session starts: the manifest's runtime picks how the game runs,
 * always inside its sandbox, with the limits its manifest asks for capped by what the node allows.
 */
import type { Logger } from 'pino';
import { AppError } from '../../protocol/errors.js';
import type { BuildManifest } from '../../protocol/build-manifest.js';
import type { RunningGame } from '../game/running-game.js';
import { SandboxedGame } from '../sandbox/sandboxed-game.js';
import type { SandboxLimits } from '../sandbox/sandbox-limits.js';
import type { GameLaunch } from '../session/stream-session.js';
import { X11Game } from '../x11/x11-game.js';

export interface BuildLaunchOptions {
  sessionId: string;
  filesDir: string;
  manifest: BuildManifest;
  /** Where sandboxes keep scratch directories and runtime sockets. */
  sandboxRoot: string;
  /** The most any one game may have; a manifest asking for less gets less. */
  maxLimits: SandboxLimits;
  /** The node's CPU priority for each game's sandbox cgroup (edge-node/priority); undefined: none. */
  cpuWeight?: number;
  logger: Logger;
}

export function buildLaunch(options: BuildLaunchOptions): GameLaunch {
  const { manifest } = options;
  if (manifest.runtime !== 'frames' && manifest.runtime !== 'x11') {
    throw new AppError('BUILD_RUNTIME_UNSUPPORTED', `Studio builds run as "frames" or "x11", not "${manifest.runtime}".`);
  }
  const limits: SandboxLimits = {
    ...options.maxLimits,
    memoryBytes: Math.min(options.maxLimits.memoryBytes, manifest.needs.memoryMb * 1024 ** 2),
    cpuCores: Math.min(options.maxLimits.cpuCores, manifest.needs.cpuCores),
  };
  const sandbox = {
    root: options.sandboxRoot,
    sessionId: options.sessionId,
    buildDir: options.filesDir,
    network: manifest.network ?? false,
    limits,
    cpuWeight: options.cpuWeight,
    logger: options.logger,
  };
  const program = `/game/${manifest.entry}`;
  const start = ({ latencyStrip }: { latencyStrip: boolean }): Promise<RunningGame> =>
    manifest.runtime === 'frames'
      ? SandboxedGame.start({ ...sandbox, program, width: manifest.width, height: manifest.height, fps: manifest.fps, latencyStrip })
      : X11Game.start({ ...sandbox, program, width: manifest.width, height: manifest.height, fps: manifest.fps, latencyStrip });
  return { command: program, args: [], width: manifest.width, height: manifest.height, fps: manifest.fps, start };
}
