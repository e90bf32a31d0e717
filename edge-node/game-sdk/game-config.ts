/**
 * What the node tells a game at start, in its environment (edge-node/game/README.md, "Starting").
 * The size is fixed for the whole session: the protocol has no resize, and frames of another size
 * end the session.
 */
export interface GameConfig {
  width: number;
  height: number;
  fps: number;
  /** The node asks for the latency strip in every frame (EDGEPLAY_LATENCY_STRIP=1). */
  latencyStrip: boolean;
}

export class GameConfigError extends Error {
  override name = 'GameConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/** An integer environment variable, `fallback` when unset; anything else out of [min, max] is an error. */
export function intFromEnv(name: string, fallback: number, min: number, max: number, env: Env = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new GameConfigError(`${name}=${raw} must be an integer from ${min} to ${max}`);
  return value;
}

export function readGameConfig(env: Env = process.env): GameConfig {
  return {
    width: intFromEnv('EDGEPLAY_WIDTH', 1280, 16, 7680, env),
    height: intFromEnv('EDGEPLAY_HEIGHT', 720, 16, 4320, env),
    fps: intFromEnv('EDGEPLAY_FPS', 60, 1, 240, env),
    latencyStrip: env['EDGEPLAY_LATENCY_STRIP'] === '1',
  };
}
