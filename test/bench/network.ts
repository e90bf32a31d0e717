/**
 * npm run bench:network — the stream on bad networks, with the player's headless Chromium behind
 * an impaired link (test/support/impaired-link) and the whole system on this machine:
 *
 * - `impaired`: 10 Mbit/s, 20 ms RTT, 1% random loss; input-to-frame latency (the page's own
 *   meter), frames delivered per second, and the longest freeze (gap between presented frames);
 * - `capped`: a 3 Mbit/s cap for 60 s (BENCH_CAPPED_S); fps, longest freeze, sent video kbit/s;
 * - `burst_recovery_ms`: after a 1 s burst of 30% loss, how long until frames are delivered at
 *   full rate again (the rate over a 500 ms window back to 90% of the rate before the burst);
 * - `network_baseline`: the same measures as `impaired` through the same namespace with no
 *   impairment, in the same run, so the table shows what the impairment costs.
 *
 * Merges its keys into test/bench/results/latency.json, keeping whatever else is there.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Impairment } from '../support/impaired-link/impaired-link.js';
import { playBehindLink, type PlayBehindLink } from '../support/impaired-link/play-behind-link.js';

const INPUTS = Number(process.env['BENCH_INPUTS'] ?? 120);
const CAPPED_S = Number(process.env['BENCH_CAPPED_S'] ?? 60);
const WARMUP_MS = 5000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number): number => Math.round(n * 10) / 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function behindLink<T>(impairment: Impairment, run: (play: PlayBehindLink) => Promise<T>): Promise<T> {
  const play = await playBehindLink({ impairment, latencyStrip: true });
  try {
    await sleep(WARMUP_MS);
    await play.resetFrameGaps();
    return await run(play);
  } finally {
    await play.close();
  }
}

interface Span {
  seconds: number;
  fps: number;
  freezeMaxMs: number;
  kbps: number;
  /** Where frames went missing on a busy machine: what the game handed the node, and what the node encoded, per second. */
  gameFps: number;
  encodedFps: number;
}

/** Runs `during` and reports the frames delivered, the longest gap and the node's sent video bitrate over it. */
async function measureSpan(play: PlayBehindLink, during: () => Promise<void>): Promise<Span> {
  await play.resetFrameGaps();
  const stats = play.session().video.stats;
  const before = { ...stats };
  const started = Date.now();
  await during();
  const seconds = (Date.now() - started) / 1000;
  const gaps = await play.frameGaps();
  return {
    seconds,
    fps: gaps.frames / seconds,
    freezeMaxMs: gaps.maxGapMs,
    kbps: ((stats.bytesSent - before.bytesSent) * 8) / 1000 / seconds,
    gameFps: (stats.framesIn - before.framesIn) / seconds,
    encodedFps: (stats.framesEncoded - before.framesEncoded) / seconds,
  };
}

/** Taps keys with irregular spacing (so inputs do not lock to the 60 Hz clocks) and returns the latency samples they produced. */
async function tapKeys(play: PlayBehindLink): Promise<number[]> {
  const before = (await play.snapshot()).latencySamples.length;
  const keys = ['KeyW', 'KeyD', 'KeyS', 'KeyA'];
  for (let i = 0; i < INPUTS; i++) {
    const key = keys[Math.floor(i / 2) % keys.length]!;
    if (i % 2 === 0) await play.page.keyboard.down(key);
    else await play.page.keyboard.up(key);
    await sleep(70 + Math.random() * 50);
  }
  await sleep(500);
  return (await play.snapshot()).latencySamples.slice(before).sort((a, b) => a - b);
}

interface LatencyRow {
  p50: number;
  p95: number;
  fps: number;
  freeze_max_ms: number;
  samples: number;
  game_fps: number;
  encoded_fps: number;
}

async function latencyRun(impairment: Impairment): Promise<LatencyRow> {
  return behindLink(impairment, async (play) => {
    let samples: number[] = [];
    const measured = await measureSpan(play, async () => {
      samples = await tapKeys(play);
    });
    return {
      p50: round(percentile(samples, 50)),
      p95: round(percentile(samples, 95)),
      fps: round(measured.fps),
      freeze_max_ms: round(measured.freezeMaxMs),
      samples: samples.length,
      game_fps: round(measured.gameFps),
      encoded_fps: round(measured.encodedFps),
    };
  });
}

async function cappedRun(): Promise<{ fps: number; freeze_max_ms: number; kbps: number; rung_changes: number; game_fps: number; encoded_fps: number }> {
  return behindLink({ rateKbit: 3000, rttMs: 20 }, async (play) => {
    const changes = play.session().video.stats.rungChanges;
    const measured = await measureSpan(play, () => sleep(CAPPED_S * 1000));
    return {
      fps: round(measured.fps),
      freeze_max_ms: round(measured.freezeMaxMs),
      kbps: Math.round(measured.kbps),
      rung_changes: play.session().video.stats.rungChanges - changes,
      game_fps: round(measured.gameFps),
      encoded_fps: round(measured.encodedFps),
    };
  });
}

async function burstRun(): Promise<{ recoveryMs: number; rateBefore: number; keyframes: number }> {
  return behindLink({ rateKbit: 10_000, rttMs: 20 }, async (play) => {
    await sleep(3000);
    const before = await play.frameGaps();
    const rateBefore = before.frames / 3;
    const keyframes = play.session().video.stats.keyframes;
    await play.link.lossBurst(30, 1000);
    const burstEnd = await play.page.evaluate(() => performance.now());
    await sleep(4000);
    const times = (await play.frameGaps()).times;
    // The first 500 ms window, starting at or after the burst's end, that carries 90% of the rate before it.
    const wanted = rateBefore * 0.5 * 0.9;
    let recoveryMs = Infinity;
    for (let start = burstEnd; start + 500 <= burstEnd + 4000; start += 10) {
      if (times.filter((t) => t >= start && t < start + 500).length >= wanted) {
        recoveryMs = start - burstEnd;
        break;
      }
    }
    return { recoveryMs, rateBefore, keyframes: play.session().video.stats.keyframes - keyframes };
  });
}

const baseline = await latencyRun({});
const impaired = await latencyRun({ rateKbit: 10_000, rttMs: 20, lossPercent: 1 });
const capped = await cappedRun();
const burst = await burstRun();

console.log('\nthe stream on bad networks: 1280x720 @ 60 fps, headless Chromium behind an impaired link');
const row = (r: LatencyRow): Record<string, number> => ({ 'p50 ms': r.p50, 'p95 ms': r.p95, fps: r.fps, 'freeze max ms': r.freeze_max_ms, 'game fps': r.game_fps, 'encoded fps': r.encoded_fps, samples: r.samples });
console.table({
  'baseline (no impairment)': row(baseline),
  'impaired 10M/20ms/1%': row(impaired),
  [`capped 3M for ${CAPPED_S}s`]: { fps: capped.fps, 'freeze max ms': capped.freeze_max_ms, 'game fps': capped.game_fps, 'encoded fps': capped.encoded_fps, kbps: capped.kbps, 'rung changes': capped.rung_changes },
});
console.log(`burst of 30% loss for 1 s: full frame rate again ${burst.recoveryMs} ms after it (rate before ${round(burst.rateBefore)} fps, ${burst.keyframes} keyframes)`);

const out = fileURLToPath(new URL('./results/latency.json', import.meta.url));
await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
// Another bench writes other keys into this file: read, merge, write.
const existing = await readFile(out, 'utf8').then((text) => JSON.parse(text) as Record<string, unknown>, () => ({}));
const merged = {
  ...existing,
  impaired: { p50: impaired.p50, p95: impaired.p95, fps: impaired.fps, freeze_max_ms: impaired.freeze_max_ms },
  capped: { fps: capped.fps, freeze_max_ms: capped.freeze_max_ms, kbps: capped.kbps },
  burst_recovery_ms: Number.isFinite(burst.recoveryMs) ? Math.round(burst.recoveryMs) : null,
  network_baseline: { p50: baseline.p50, p95: baseline.p95, fps: baseline.fps, freeze_max_ms: baseline.freeze_max_ms },
  network_game_fps: { baseline: baseline.game_fps, impaired: impaired.game_fps, capped: capped.game_fps },
  network_encoded_fps: { baseline: baseline.encoded_fps, impaired: impaired.encoded_fps, capped: capped.encoded_fps },
};
await writeFile(out, `${JSON.stringify(merged, null, 2)}\n`);
console.log(`written ${out}`);
