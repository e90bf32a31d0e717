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
 * The control plane and node run in a process of their own (test/support/system-process.ts).
 *
 * The baseline and impaired scenarios run BENCH_ROUNDS times (default 3), interleaved, and report
 * each measure's median, as bench:latency does: a p95 over 240 inputs rests on a dozen of them,
 * and one run's can move by 10 ms. Every round is kept in `network_rounds`.
 *
 * `BENCH_SCENARIOS=capped` (a comma-separated list of baseline, impaired, capped, burst) runs only
 * those, which is how one scenario is iterated on; only their keys are merged.
 *
 * Merges its keys into test/bench/results/latency.json, keeping whatever else is there.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Impairment } from '../support/impaired-link/impaired-link.js';
import { playBehindLink, type PlayBehindLink } from '../support/impaired-link/play-behind-link.js';
import { median, percentile } from './statistics.js';

const INPUTS = Number(process.env['BENCH_INPUTS'] ?? 240);
/** Runs of the baseline and impaired scenarios, interleaved; their rows are the medians. */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CAPPED_S = Number(process.env['BENCH_CAPPED_S'] ?? 60);
const WARMUP_MS = 5000;
const SCENARIOS = ['baseline', 'impaired', 'capped', 'burst'] as const;
type Scenario = (typeof SCENARIOS)[number];
const chosen = (process.env['BENCH_SCENARIOS'] ?? SCENARIOS.join(',')).split(',').map((name) => name.trim());
for (const name of chosen) {
  if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`BENCH_SCENARIOS: unknown scenario '${name}' (known: ${SCENARIOS.join(', ')})`);
}
const runs = (scenario: Scenario): boolean => chosen.includes(scenario);
/** Gaps between displayed frames at least this long are listed, with when they came. */
const LISTED_GAP_MS = 100;
/** How often the node's frame counter is sampled, to tell a gap the node caused from one the link or the browser caused. */
const NODE_SAMPLE_MS = 20;
/** A frame is displayed about this long after the node sent it (one-way delay, decode, the refresh). */
const SEND_TO_DISPLAY_MS = 40;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number): number => Math.round(n * 10) / 10;

async function behindLink<T>(impairment: Impairment, run: (play: PlayBehindLink) => Promise<T>, warmupMs = WARMUP_MS): Promise<T> {
  const play = await playBehindLink({ impairment, latencyStrip: true, ownProcess: true });
  try {
    await sleep(warmupMs);
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
  /**
   * Gaps of LISTED_GAP_MS or more: seconds into the span, length in ms, and how many frames the
   * node sent meanwhile (none or one: the node itself stalled, its game or encoder starved of CPU;
   * more: they were lost or held up on the link or in the browser).
   */
  longGaps: Array<{ atS: number; ms: number; nodeFrames: number }>;
  /** The longest gap while the node kept sending frames. */
  freezeMaxNodeSendingMs: number;
  kbps: number;
  /** Keyframes the node sent: each answers a picture the player lost (a PLI), or starts a new rung. */
  keyframes: number;
  rungChanges: number;
  /** Where frames went missing on a busy machine: what the game handed the node, and what the node encoded, per second. */
  gameFps: number;
  encodedFps: number;
}

/** Runs `during` and reports the frames delivered, the longest gap and the node's sent video bitrate over it. */
async function measureSpan(play: PlayBehindLink, during: () => Promise<void>): Promise<Span> {
  await play.resetFrameGaps();
  const before = await play.videoStats();
  const pageOrigin = await play.page.evaluate(() => performance.timeOrigin);
  const encodedAt: Array<{ at: number; encoded: number }> = [];
  const sampler = setInterval(() => void play.videoStats().then((sampled) => encodedAt.push({ at: Date.now(), encoded: sampled.framesEncoded }), () => undefined), NODE_SAMPLE_MS);
  const started = Date.now();
  try {
    await during();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (Date.now() - started) / 1000;
  const stats = await play.videoStats();
  const gaps = await play.frameGaps();
  /** Frames the node had encoded by `at` (epoch ms), from the last sample at or before it. */
  const encodedBy = (at: number): number => {
    let count = encodedAt[0]?.encoded ?? 0;
    for (const sample of encodedAt) {
      if (sample.at > at) break;
      count = sample.encoded;
    }
    return count;
  };
  const longGaps: Span['longGaps'] = [];
  let freezeMaxNodeSendingMs = 0;
  for (let i = 1; i < gaps.times.length; i++) {
    const ms = gaps.times[i]! - gaps.times[i - 1]!;
    if (ms < LISTED_GAP_MS) continue;
    const from = pageOrigin + gaps.times[i - 1]! - SEND_TO_DISPLAY_MS;
    const nodeFrames = encodedBy(from + ms) - encodedBy(from);
    if (nodeFrames > 1) freezeMaxNodeSendingMs = Math.max(freezeMaxNodeSendingMs, ms);
    longGaps.push({ atS: round((gaps.times[i - 1]! - gaps.times[0]!) / 1000), ms: round(ms), nodeFrames });
  }
  return {
    seconds,
    fps: gaps.frames / seconds,
    freezeMaxMs: gaps.maxGapMs,
    longGaps,
    freezeMaxNodeSendingMs,
    kbps: ((stats.bytesSent - before.bytesSent) * 8) / 1000 / seconds,
    keyframes: stats.keyframes - before.keyframes,
    rungChanges: stats.rungChanges - before.rungChanges,
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
  /** Video sent over the run: what the bitrate controller settled on for this link. */
  kbps: number;
  keyframes: number;
  rung_changes: number;
  game_fps: number;
  encoded_fps: number;
  long_gaps: Span['longGaps'];
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
      kbps: Math.round(measured.kbps),
      keyframes: measured.keyframes,
      rung_changes: measured.rungChanges,
      game_fps: round(measured.gameFps),
      encoded_fps: round(measured.encodedFps),
      long_gaps: measured.longGaps,
    };
  });
}

interface CappedRow {
  fps: number;
  freeze_max_ms: number;
  freeze_max_node_sending_ms: number;
  /** The machine's load average over the run: on a shared machine the node's own stalls follow it. */
  load: number;
  kbps: number;
  rung_changes: number;
  keyframes: number;
  game_fps: number;
  encoded_fps: number;
  long_gaps: Span['longGaps'];
}

async function cappedRun(): Promise<CappedRow> {
  // No warm-up: the start of a session, while the congestion controller first measures the link,
  // is where a capped link used to freeze, and a player sees it.
  return behindLink({ rateKbit: 3000, rttMs: 20 }, async (play) => {
    const measured = await measureSpan(play, () => sleep(CAPPED_S * 1000));
    return {
      fps: round(measured.fps),
      freeze_max_ms: round(measured.freezeMaxMs),
      freeze_max_node_sending_ms: round(measured.freezeMaxNodeSendingMs),
      load: round(loadavg()[0]!),
      kbps: Math.round(measured.kbps),
      rung_changes: measured.rungChanges,
      keyframes: measured.keyframes,
      game_fps: round(measured.gameFps),
      encoded_fps: round(measured.encodedFps),
      long_gaps: measured.longGaps,
    };
  }, 0);
}

async function burstRun(): Promise<{ recoveryMs: number; rateBefore: number; keyframes: number }> {
  return behindLink({ rateKbit: 10_000, rttMs: 20 }, async (play) => {
    await sleep(3000);
    const before = await play.frameGaps();
    const rateBefore = before.frames / 3;
    const keyframes = (await play.videoStats()).keyframes;
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
    return { recoveryMs, rateBefore, keyframes: (await play.videoStats()).keyframes - keyframes };
  });
}

const latencyRounds: Record<'baseline' | 'impaired', LatencyRow[]> = { baseline: [], impaired: [] };
for (let i = 0; i < ROUNDS; i++) {
  if (runs('baseline')) latencyRounds.baseline.push(await latencyRun({}));
  if (runs('impaired')) latencyRounds.impaired.push(await latencyRun({ rateKbit: 10_000, rttMs: 20, lossPercent: 1 }));
}
/** A row's measures; the gaps stay with the round they came from. */
type LatencyMeasures = Omit<LatencyRow, 'long_gaps'>;
/** Each measure's median over the rounds, as bench:latency reports its rows. */
const medianRow = (rows: LatencyRow[]): LatencyMeasures | undefined => {
  if (rows.length === 0) return undefined;
  const of = (key: keyof LatencyMeasures): number => round(median(rows.map((r) => r[key])));
  return {
    p50: of('p50'),
    p95: of('p95'),
    fps: of('fps'),
    freeze_max_ms: of('freeze_max_ms'),
    samples: of('samples'),
    kbps: Math.round(of('kbps')),
    keyframes: of('keyframes'),
    rung_changes: of('rung_changes'),
    game_fps: of('game_fps'),
    encoded_fps: of('encoded_fps'),
  };
};
const baseline = medianRow(latencyRounds.baseline);
const impaired = medianRow(latencyRounds.impaired);
const capped = runs('capped') ? await cappedRun() : undefined;
const burst = runs('burst') ? await burstRun() : undefined;

console.log('\nthe stream on bad networks: 1280x720 @ 60 fps, headless Chromium behind an impaired link');
const row = (r: LatencyMeasures): Record<string, number> => ({ 'p50 ms': r.p50, 'p95 ms': r.p95, fps: r.fps, 'freeze max ms': r.freeze_max_ms, 'game fps': r.game_fps, 'encoded fps': r.encoded_fps, samples: r.samples, kbps: r.kbps, 'rung changes': r.rung_changes, keyframes: r.keyframes });
const table: Record<string, Record<string, number>> = {};
if (baseline) table[`baseline (no impairment), median of ${ROUNDS}`] = row(baseline);
if (impaired) table[`impaired 10M/20ms/1%, median of ${ROUNDS}`] = row(impaired);
latencyRounds.impaired.forEach((r, i) => (table[`  impaired, round ${i + 1}`] = row(r)));
if (capped) {
  table[`capped 3M for ${CAPPED_S}s`] = {
    fps: capped.fps,
    'freeze max ms': capped.freeze_max_ms,
    'game fps': capped.game_fps,
    'encoded fps': capped.encoded_fps,
    kbps: capped.kbps,
    'rung changes': capped.rung_changes,
    keyframes: capped.keyframes,
  };
}
console.table(table);
const listGaps = (gaps: Span['longGaps']): string => gaps.map((gap) => `${gap.ms} ms at ${gap.atS} s (node sent ${gap.nodeFrames})`).join(', ') || 'none';
latencyRounds.impaired.forEach((r, i) => console.log(`impaired, round ${i + 1}: gaps of ${LISTED_GAP_MS} ms or more between displayed frames: ${listGaps(r.long_gaps)}`));
if (capped) {
  console.log(`capped: gaps of ${LISTED_GAP_MS} ms or more between displayed frames: ${listGaps(capped.long_gaps)}`);
  console.log(`capped: longest freeze while the node kept sending ${capped.freeze_max_node_sending_ms} ms; load average ${capped.load}`);
}
if (burst) console.log(`burst of 30% loss for 1 s: full frame rate again ${burst.recoveryMs} ms after it (rate before ${round(burst.rateBefore)} fps, ${burst.keyframes} keyframes)`);

const out = fileURLToPath(new URL('./results/latency.json', import.meta.url));
await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
// Another bench writes other keys into this file: read, merge, write.
const existing = await readFile(out, 'utf8').then((text) => JSON.parse(text) as Record<string, unknown>, () => ({}));
const merged: Record<string, unknown> = { ...existing };
if (impaired) merged['impaired'] = { p50: impaired.p50, p95: impaired.p95, fps: impaired.fps, freeze_max_ms: impaired.freeze_max_ms };
if (capped) {
  merged['capped'] = { fps: capped.fps, freeze_max_ms: capped.freeze_max_ms, kbps: capped.kbps };
  merged['capped_detail'] = { freeze_max_node_sending_ms: capped.freeze_max_node_sending_ms, rung_changes: capped.rung_changes, keyframes: capped.keyframes, load: capped.load };
}
if (burst) merged['burst_recovery_ms'] = Number.isFinite(burst.recoveryMs) ? Math.round(burst.recoveryMs) : null;
if (baseline) merged['network_baseline'] = { p50: baseline.p50, p95: baseline.p95, fps: baseline.fps, freeze_max_ms: baseline.freeze_max_ms };
if (baseline || impaired) {
  const earlier = (existing as Record<string, Record<string, unknown> | undefined>)['network_rounds'] ?? {};
  merged['network_rounds'] = { ...earlier, ...(baseline ? { baseline: latencyRounds.baseline } : {}), ...(impaired ? { impaired: latencyRounds.impaired } : {}) };
}
const byRow = (key: 'game_fps' | 'encoded_fps'): Record<string, number> => {
  const earlier = (existing as Record<string, Record<string, number> | undefined>)[`network_${key}`] ?? {};
  return { ...earlier, ...(baseline ? { baseline: baseline[key] } : {}), ...(impaired ? { impaired: impaired[key] } : {}), ...(capped ? { capped: capped[key] } : {}) };
};
merged['network_game_fps'] = byRow('game_fps');
merged['network_encoded_fps'] = byRow('encoded_fps');
await writeFile(out, `${JSON.stringify(merged, null, 2)}\n`);
console.log(`written ${out}`);
