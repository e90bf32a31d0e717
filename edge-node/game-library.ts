/** The games this node can start, by game id. Builds a studio uploads will join the built-in demo here. */
import { fileURLToPath } from 'node:url';
import type { GameLaunch } from './session/stream-session.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export const DEMO_GAME_ID = 'demo-arena';

/** `fixedTick`: the demo renders only on its 60 Hz clock, not also on input (demo-game/main.ts). */
export function demoGameLaunch(options: { fixedTick?: boolean } = {}): GameLaunch {
  return {
    command: process.execPath,
    args: ['--import', 'tsx', fileURLToPath(new URL('./demo-game/main.ts', import.meta.url))],
    cwd: repoRoot,
    width: 1280,
    height: 720,
    fps: 60,
    env: options.fixedTick ? { EDGEPLAY_DEMO_FIXED_TICK: '1' } : {},
  };
}

export function defaultGameLibrary(): Map<string, GameLaunch> {
  return new Map([[DEMO_GAME_ID, demoGameLaunch()]]);
}
