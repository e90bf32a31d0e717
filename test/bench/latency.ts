/**
 * npm run bench:latency — input-to-display latency over the whole path on this machine (control
 * plane, edge node, demo game, x264, mediasoup, headless Chromium), 1280x720 at 60 fps, loopback.
 * Each input is timed from its DOM event's timeStamp to the refresh at which the compositor draws
 * the first frame that shows it, every input counted (web-client/src/lib/input-latency.ts,
 * display-time.ts, docs/latency.md); after the inputs, each run on the <video> view checks those
 * display times against Chromium's trace of its draws (latency/draw-check.ts). Rows, run
 * interleaved round by round, medians over the rounds:
 *
 * - tuned_canvas, tuned_video_element: the service as shipped, with the page painting decoded
 *   frames itself or handing the track to a <video> element; `tuned` repeats the page's default.
 * - fixed_tick: as shipped, but the demo renders only on its 60 Hz clock, as most games do.
 * - baseline: what an open-source WebRTC streamer gives by default on the same game: fixed tick,
 *   x264 ultrafast/zerolatency, a <video> element, no playout-delay extension, no frame pacing.
 * - loaded: tuned, with a CPU hog on every core for the whole measurement;
 *   loaded_without_priority: the same without the node's CPU priority.
 * - x11: an unmodified game from Debian's archive (lbreakout2, test/support/debian-game-build.ts)
 *   on a 1280x720 virtual display, uploaded and published as a studio build, fetched,
 *   sandboxed, captured and stamped by the node (edge-node/x11/), interleaved with the others.
 *   Its keys move the game's menu highlight.
 *
 * The control plane and the node run in a process of their own (test/support/system-process.ts), as
 * `npm start` runs them, apart from this one's browser automation.
 *
 * Every row runs with the node's CPU priority, the baseline too: the machine's other work then
 * weighs on all rows alike, so that fixed_tick against baseline compares the latency measures
 * alone. The loaded row is the one that shows what the priority is for.
 *
 * Prints a table and merges its keys into test/bench/results/latency.json, keeping the keys other
 * benchmarks write there (the bad-network rows, say).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { DEMO_GAME_ID } from '../../edge-node/game-library.js';
import { CpuPriority } from '../../edge-node/priority/cpu-priority.js';
import type { PlayerSnapshot } from '../../web-client/src/lib/player-session.js';
import type { StreamView } from '../../web-client/src/lib/view-choice.js';
import { launchBrowser } from '../support/browser.js';
import { debianGameArchive } from '../support/debian-game-build.js';
import { api } from '../integration/services/helpers/http.js';
import { signUp, upload, writeArchive } from '../integration/services/helpers/studio.js';
import { checkAgainstDraws, type DrawCheck } from './latency/draw-check.js';
import { median, percentile } from './statistics.js';
import { startSystemProcess, type SystemSpec } from '../support/system-process.js';

const INPUTS = Number(process.env['BENCH_INPUTS'] ?? 240);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const WARMUP_MS = 3000;
/** After the inputs, how long the page's display times are checked against Chromium's own draws. */
const DRAW_CHECK_MS = 2000;
/** The hog is killed with the run; this bounds it should the bench itself die. */
const HOG_LIMIT_MS = 120_000;

interface Mode {
  node: Omit<SystemSpec, 'name'>;
  /** The page's view; undefined lets the page choose its default. */
  view?: StreamView;
  hog?: boolean;
  /** Play Debian's game as a studio build at the bench's size instead of the demo. */
  debianGame?: boolean;
}

const DEMO_KEYS = ['KeyW', 'KeyD', 'KeyS', 'KeyA'];
/** The Debian game's menu takes the arrow keys (and plays a click for each move). */
const DEBIAN_GAME_KEYS = ['ArrowDown', 'ArrowDown', 'ArrowUp', 'ArrowUp'];

const tuned: Mode['node'] = { lowLatency: true, cpuPriority: true };
const modes = {
  tuned_canvas: { node: tuned, view: 'canvas' },
  tuned_video_element: { node: tuned, view: 'video' },
  fixed_tick: { node: { ...tuned, fixedTick: true } },
  baseline: { node: { lowLatency: false, cpuPriority: true, fixedTick: true }, view: 'video' },
  loaded: { node: tuned, hog: true },
  loaded_without_priority: { node: { ...tuned, cpuPriority: false }, hog: true },
  x11: { node: tuned, debianGame: true },
} satisfies Record<string, Mode>;
type ModeName = keyof typeof modes;

interface RunResult {
  p50: number;
  p95: number;
  /**
   * Frames delivered for display per second: handed to the <video> element's compositor
   * (requestVideoFrameCallback's presentedFrames) or painted on the page's canvas. The issue's `fps`.
   */
  fps: number;
  /** Frames the page's 60 Hz refreshes showed per second: where two frames arrive within one refresh only the newer shows. */
  shownFps: number;
  /** What the game sent the node, per second. */
  gameFps: number;
  samples: number;
  framesDropped: number;
  view: StreamView;
  /** Pacer windows during the measurement, and after how many of them it asked the node for a shift. */
  pacerWindows: number;
  pacerShifts: number;
  /** The <video> view's display times against the compositor's draws (draw-check.ts); null on the canvas view. */
  drawCheck: DrawCheck | null;
}

/** A busy loop per core, at the ordinary priority of the rig's other work (a compile, say). */
function startHogs(): ChildProcess[] {
  return Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore', timeout: HOG_LIMIT_MS }));
}

async function measure(name: ModeName): Promise<RunResult> {
  const mode: Mode = modes[name];
  // The hogs start first, at the ordinary priority of the rig's other work. Where the node takes
  // CPU priority, so does this process before it starts the browser, which inherits it: the
  // browser stands in for the player's own machine, which a busy rig does not slow.
  const hogs = mode.hog ? startHogs() : [];
  const player = mode.node.cpuPriority ? await CpuPriority.start({ logger: pino({ level: 'warn' }), groupName: `edgeplay-bench-player-${process.pid}` }) : undefined;
  await player?.apply(process.pid, 'node');
  const system = await startSystemProcess({ name: `bench-${name}`, ...mode.node }).catch(async (error: unknown) => {
    for (const hog of hogs) hog.kill('SIGKILL');
    await player?.close();
    throw error;
  });
  const browser = await launchBrowser();
  const dir = await mkdtemp(join(tmpdir(), 'edgeplay-bench-latency-'));
  try {
    const gameId = mode.debianGame ? await publishDebianGame(system.url, dir) : DEMO_GAME_ID;
    const page = await browser.context.newPage();
    await page.goto(`${system.url}/${mode.view ? `?view=${mode.view}` : ''}`);
    await page.locator(`[data-game-id="${gameId}"]`).getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > 30, null, { timeout: 60_000 });
    await page.locator('#video').focus();
    await page.waitForTimeout(WARMUP_MS);

    const snap = (): Promise<PlayerSnapshot> => page.evaluate(() => window.edgeplay!.snapshot()!);
    const start = await snap();
    const gameStart = (await system.stats())?.framesIn ?? 0;
    const startedAt = Date.now();
    const keys = mode.debianGame ? DEBIAN_GAME_KEYS : DEMO_KEYS;
    for (let i = 0; i < INPUTS; i++) {
      const key = keys[Math.floor(i / 2) % keys.length]!;
      if (i % 2 === 0) await page.keyboard.down(key);
      else await page.keyboard.up(key);
      // Irregular spacing so inputs do not lock to the 60 Hz game or compositor clocks.
      await page.waitForTimeout(70 + Math.random() * 50);
    }
    await page.waitForTimeout(500);
    const end = await snap();
    const seconds = (Date.now() - startedAt) / 1000;
    const videoEnd = await system.stats();
    const drawCheck = end.view === 'video' ? await checkAgainstDraws(browser.context, page, DRAW_CHECK_MS) : null;
    const samples = end.latencySamples.slice(start.latencySamples.length).sort((a, b) => a - b);
    return {
      p50: percentile(samples, 50),
      p95: percentile(samples, 95),
      fps: (end.framesPresented - start.framesPresented) / seconds,
      shownFps: (end.framesSeen - start.framesSeen) / seconds,
      gameFps: ((videoEnd?.framesIn ?? 0) - gameStart) / seconds,
      samples: samples.length,
      framesDropped: videoEnd?.framesDropped ?? 0,
      view: end.view,
      pacerWindows: end.pacing.windows - start.pacing.windows,
      pacerShifts: end.pacing.shifts - start.pacing.shifts,
      drawCheck,
    };
  } finally {
    for (const hog of hogs) hog.kill('SIGKILL');
    await browser.close();
    await system.close();
    await player?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Uploads and publishes Debian's game as a studio would, at the bench's display size; resolves with its game id. */
async function publishDebianGame(url: string, dir: string): Promise<string> {
  const { archive, manifest } = debianGameArchive({ width: 1280, height: 720, fps: 60 });
  const studio = await signUp(url, 'bench studio');
  await upload(url, studio.key, await writeArchive(dir, 'game.tar.gz', archive));
  const published = await api(url, `/v1/studio/games/${manifest.id}/versions/${manifest.version}/publish`, { token: studio.key, body: {} });
  if (published.status !== 200) throw new Error(`publish failed: ${JSON.stringify(published.body)}`);
  return manifest.id;
}

/** BENCH_MODES=tuned_canvas,loaded runs only those (while developing; the file then lacks the others' rows). */
const selected = (process.env['BENCH_MODES']?.split(',') ?? Object.keys(modes)).filter((name): name is ModeName => name in modes);
const runs = Object.fromEntries(selected.map((name) => [name, [] as RunResult[]])) as Record<ModeName, RunResult[]>;
for (let round = 1; round <= ROUNDS; round++) {
  for (const name of selected) {
    const result = await measure(name);
    runs[name].push(result);
    const check = result.drawCheck;
    const against = check
      ? `; against ${check.frames} draws: meter ${check.meterMinusDraw.p50} ms [${check.meterMinusDraw.min}, ${check.meterMinusDraw.max}], expectedDisplayTime ${check.expectedMinusDraw.p50} ms [${check.expectedMinusDraw.min}, ${check.expectedMinusDraw.max}]`
      : '';
    console.log(`round ${round} ${name}: p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms, ${result.fps.toFixed(1)} fps (${result.view}; ${result.pacerShifts} shifts in ${result.pacerWindows} pacer windows${against})`);
  }
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const drawCheckJson = (check: DrawCheck) => ({ frames: check.frames, meter_minus_draw_ms: check.meterMinusDraw, expected_display_time_minus_draw_ms: check.expectedMinusDraw });
const summary = (name: ModeName) => {
  const list = runs[name] ?? [];
  return { p50: round1(median(list.map((r) => r.p50))), p95: round1(median(list.map((r) => r.p95))), fps: round1(median(list.map((r) => r.fps))) };
};
const rows = Object.fromEntries(selected.map((name) => [name, summary(name)])) as Record<ModeName, ReturnType<typeof summary>>;
const defaultView = (runs.fixed_tick ?? runs.loaded)?.[0]?.view ?? 'canvas';
const ours = {
  tuned: defaultView === 'canvas' ? rows.tuned_canvas : rows.tuned_video_element,
  tuned_view: defaultView,
  ...rows,
  ratio_p50: rows.fixed_tick && rows.baseline ? Math.round((rows.fixed_tick.p50 / rows.baseline.p50) * 1000) / 1000 : null,
  latency_bench: {
    inputs: INPUTS,
    rounds: ROUNDS,
    measured: 'input event timeStamp to the refresh at which the compositor draws the first frame showing it, every input counted; medians over rounds',
    runs: Object.fromEntries(
      Object.entries(runs).map(([name, list]) => [
        name,
        list.map((r) => ({ p50: round1(r.p50), p95: round1(r.p95), fps: round1(r.fps), shown_fps: round1(r.shownFps), game_fps: round1(r.gameFps), samples: r.samples, encoder_drops: r.framesDropped, pacer_windows: r.pacerWindows, pacer_shifts: r.pacerShifts, ...(r.drawCheck ? { draw_check: drawCheckJson(r.drawCheck) } : {}) })),
      ]),
    ),
  },
};

console.log(`\ninput-to-display latency, 1280x720 @ 60 fps, loopback, headless Chromium; medians of ${ROUNDS} interleaved rounds`);
console.table(
  Object.fromEntries(
    selected.map((name) => [
      name,
      { 'p50 ms': rows[name].p50, 'p95 ms': rows[name].p95, 'fps (delivered)': rows[name].fps, 'shown fps': round1(median(runs[name].map((r) => r.shownFps))), 'game fps': round1(median(runs[name].map((r) => r.gameFps))) },
    ]),
  ),
);
console.log(`default view: ${defaultView}; ratio_p50 (fixed_tick / baseline) = ${ours.ratio_p50}`);

// Read, merge, write: other benchmarks own other keys of this file.
const out = fileURLToPath(new URL('./results/latency.json', import.meta.url));
await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
const previous = await readFile(out, 'utf8').then((text) => JSON.parse(text) as Record<string, unknown>, (): Record<string, unknown> => ({}));
// What this bench wrote before its rows were rounds of interleaved modes.
for (const legacy of ['inputs', 'samples', 'encoder_frames_dropped', 'game_fps', 'decoded_fps', 'shown_fps']) delete previous[legacy];
await writeFile(out, `${JSON.stringify({ ...previous, ...ours }, null, 2)}\n`);
console.log(`written ${out}`);
