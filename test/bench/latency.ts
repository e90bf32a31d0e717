/**
 * npm run bench:latency — input-to-decoded-frame latency over the whole path on this machine
 * (control plane, edge node, demo game, x264, mediasoup, headless Chromium), for the tuned
 * low-latency path and, in the same run, a baseline without the low-latency measures
 * (no playout-delay extension, x264's default settings at the veryfast preset). Prints a table and writes
 * test/bench/results/latency.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { startLocalSystem } from '../../infra/local/system.js';
import type { EdgeNodeOptions } from '../../edge-node/edge-node.js';
import type { PlayerSnapshot } from '../../web-client/src/lib/player-session.js';
import { launchBrowser } from '../support/browser.js';

const INPUTS = Number(process.env['BENCH_INPUTS'] ?? 240);
const WARMUP_MS = 3000;

interface ModeResult {
  p50: number;
  p95: number;
  /**
   * Frames delivered to the page per second: decoded and handed to the video element's compositor
   * (requestVideoFrameCallback's presentedFrames, exact at both ends, where getStats' framesDecoded
   * is up to a poll old). The issue's `fps`.
   */
  fps: number;
  /**
   * Frames the page's rendering loop saw per second (one requestVideoFrameCallback per 60 Hz
   * refresh at most): where two frames arrive within one refresh only the newer is seen, so this
   * stays below the delivered rate whenever frames arrive unevenly, and the game's extra frames
   * for inputs (game fps above 60) can never show here.
   */
  shownFps: number;
  /** Where frames went missing: what the game sent the node, and what the page's decoder produced, per second. */
  gameFps: number;
  decodedFps: number;
  samples: number;
  framesDropped: number;
}

const modes: Record<'tuned' | 'baseline', Pick<EdgeNodeOptions, 'lowLatency' | 'encoder'>> = {
  tuned: { lowLatency: true },
  // x264's defaults (no zerolatency tune: lookahead and frame threads) at a preset that sustains 720p60 on two cores.
  baseline: { lowLatency: false, encoder: { preset: 'veryfast', tune: '', threads: 0 } },
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(mode: keyof typeof modes): Promise<ModeResult> {
  const system = await startLocalSystem({ logger: pino({ level: 'warn' }), nodes: [{ name: `bench-${mode}`, slots: 1, latencyStrip: true, ...modes[mode] }] });
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${system.url}/`);
    await page.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > 30, null, { timeout: 60_000 });
    await page.locator('#video').focus();
    await page.waitForTimeout(WARMUP_MS);

    const snap = (): Promise<PlayerSnapshot> => page.evaluate(() => window.edgeplay!.snapshot()!);
    const node = system.nodes[0]!;
    const video = () => [...node.sessions.values()][0]?.video.stats;
    const start = await snap();
    const gameStart = video()?.framesIn ?? 0;
    const startedAt = Date.now();
    const keys = ['KeyW', 'KeyD', 'KeyS', 'KeyA'];
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
    const samples = end.latencySamples.slice(start.latencySamples.length).sort((a, b) => a - b);
    return {
      p50: percentile(samples, 50),
      p95: percentile(samples, 95),
      fps: (end.framesPresented - start.framesPresented) / seconds,
      shownFps: (end.framesSeen - start.framesSeen) / seconds,
      gameFps: ((video()?.framesIn ?? 0) - gameStart) / seconds,
      decodedFps: ((end.stats?.framesDecoded ?? 0) - (start.stats?.framesDecoded ?? 0)) / seconds,
      samples: samples.length,
      framesDropped: video()?.framesDropped ?? 0,
    };
  } finally {
    await browser.close();
    await system.close();
  }
}

const tuned = await measure('tuned');
const baseline = await measure('baseline');
const round = (n: number): number => Math.round(n * 10) / 10;
const result = {
  inputs: INPUTS,
  tuned: { p50: round(tuned.p50), p95: round(tuned.p95), fps: round(tuned.fps) },
  baseline: { p50: round(baseline.p50), p95: round(baseline.p95), fps: round(baseline.fps) },
  ratio_p50: Math.round((tuned.p50 / baseline.p50) * 1000) / 1000,
  samples: { tuned: tuned.samples, baseline: baseline.samples },
  encoder_frames_dropped: { tuned: tuned.framesDropped, baseline: baseline.framesDropped },
  game_fps: { tuned: round(tuned.gameFps), baseline: round(baseline.gameFps) },
  decoded_fps: { tuned: round(tuned.decodedFps), baseline: round(baseline.decodedFps) },
  shown_fps: { tuned: round(tuned.shownFps), baseline: round(baseline.shownFps) },
};

console.log('\ninput-to-decoded-frame latency, 1280x720 @ 60 fps, loopback, headless Chromium');
console.table({
  tuned: { 'p50 ms': result.tuned.p50, 'p95 ms': result.tuned.p95, 'fps (delivered)': result.tuned.fps, 'game fps': result.game_fps.tuned, 'decoded fps': result.decoded_fps.tuned, 'shown fps': result.shown_fps.tuned, samples: tuned.samples, 'enc drops': tuned.framesDropped },
  baseline: { 'p50 ms': result.baseline.p50, 'p95 ms': result.baseline.p95, 'fps (delivered)': result.baseline.fps, 'game fps': result.game_fps.baseline, 'decoded fps': result.decoded_fps.baseline, 'shown fps': result.shown_fps.baseline, samples: baseline.samples, 'enc drops': baseline.framesDropped },
});
console.log(`ratio_p50 (tuned / baseline) = ${result.ratio_p50}`);

const out = fileURLToPath(new URL('./results/latency.json', import.meta.url));
await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`written ${out}`);
