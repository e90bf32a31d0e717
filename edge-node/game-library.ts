/** The games this node can start, by game id. Builds a studio uploads will join the built-in demo here. */
import { fileURLToPath } from 'node:url';
import type { GameLaunch } from './session/stream-session.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export const DEMO_GAME_ID = 'demo-arena';

export function demoGameLaunch(): GameLaunch {
  return {
    command: process.execPath,
    args: ['--import', 'tsx', fileURLToPath(new URL('./demo-game/main.ts', import.meta.url))],
    cwd: repoRoot,
    width: 1280,
    height: 720,
    fps: 60,
  };
}

export function defaultGameLibrary(): Map<string, GameLaunch> {
  return new Map([[DEMO_GAME_ID, demoGameLaunch()]]);
}
