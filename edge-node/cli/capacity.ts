/**
 * How many 1280x720 60 fps sessions this rig sustains: runs 1, 2, ... copies of the demo game at
 * once, each with its own encoder as a session has, and counts the frames each delivers on time
 * (encoded within one frame period of arriving; a frame that finds its encoder busy is late, as a
 * stream would drop it). Stops at the first count that falls short, or when the time is up.
 */
import { demoGameLaunch } from '../game-library.js';
import { GameProcess } from '../game/game-process.js';
import { VideoEncoder } from '../media/video-encoder.js';

/** A session is sustained when at least this share of the frames it should show arrive on time (48 of 60 a second). */
const MIN_ON_TIME_PCT = 80;
/** How long the games may take to show their first frame. */
const START_TIMEOUT_MS = 30_000;

export interface CapacityOptions {
  /** Never try more sessions than this. */
  maxSessions: number;
  /** Measured time per trial, after the games have started and warmed up. */
  windowMs: number;
  warmupMs: number;
  /** No trial starts after this much time in all. */
  budgetMs: number;
  onTrial?: (trial: CapacityTrial) => void;
}

export interface CapacityTrial {
  sessions: number;
  /** The worst session's share of frames on time, of the fps the game asks for. */
  onTimePct: number;
  /** Frames delivered per second, worst session. */
  fps: number;
  encodeP50Ms: number;
  encodeP95Ms: number;
  sustained: boolean;
}

export interface Capacity {
  sessions: number;
  trials: CapacityTrial[];
}

export async function measureCapacity(options: CapacityOptions): Promise<Capacity> {
  const started = performance.now();
  const trials: CapacityTrial[] = [];
  let sustained = 0;
  for (let sessions = 1; sessions <= options.maxSessions; sessions++) {
    if (performance.now() - started > options.budgetMs) break;
    const trial = await runTrial(sessions, options);
    trials.push(trial);
    options.onTrial?.(trial);
    if (!trial.sustained) break;
    sustained = sessions;
  }
  return { sessions: sustained, trials };
}

interface SessionCounters {
  onTime: number;
  delivered: number;
}

async function runTrial(sessions: number, options: CapacityOptions): Promise<CapacityTrial> {
  const launch = demoGameLaunch();
  const periodMs = 1000 / launch.fps;
  const encodeTimes: number[] = [];
  const counters: SessionCounters[] = [];
  const games: GameProcess[] = [];
  const encoders: VideoEncoder[] = [];
  let measuring = false;
  try {
    const firstFrames: Promise<void>[] = [];
    for (let i = 0; i < sessions; i++) {
      const game = GameProcess.start({ ...launch, env: {} });
      const encoder = new VideoEncoder({ width: launch.width, height: launch.height, fps: launch.fps });
      const counter: SessionCounters = { onTime: 0, delivered: 0 };
      games.push(game);
      encoders.push(encoder);
      counters.push(counter);
      firstFrames.push(new Promise((resolve) => game.once('frame', () => resolve())));
      game.on('frame', (_header, pixels) => {
        if (encoder.busy) return;
        const arrived = performance.now();
        encoder.encode(pixels, arrived).then(
          () => {
            if (!measuring) return;
            const done = performance.now();
            encodeTimes.push(done - arrived);
            counter.delivered++;
            if (done - arrived <= periodMs) counter.onTime++;
          },
          () => {},
        );
      });
    }
    await withTimeout(Promise.all(firstFrames), START_TIMEOUT_MS, 'the demo game did not start');
    await sleep(options.warmupMs);
    measuring = true;
    await sleep(options.windowMs);
    measuring = false;
  } finally {
    await Promise.all(games.map((game) => game.stop()));
    for (const encoder of encoders) encoder.close();
  }
  const expected = (launch.fps * options.windowMs) / 1000;
  const worst = counters.reduce((a, b) => (b.onTime < a.onTime ? b : a));
  const sorted = encodeTimes.sort((a, b) => a - b);
  const onTimePct = (100 * worst.onTime) / expected;
  const encodeP95Ms = quantile(sorted, 0.95);
  return {
    sessions,
    onTimePct: round(onTimePct),
    fps: round((worst.delivered * 1000) / options.windowMs),
    encodeP50Ms: round(quantile(sorted, 0.5)),
    encodeP95Ms: round(encodeP95Ms),
    sustained: onTimePct >= MIN_ON_TIME_PCT,
  };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? Infinity : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
