/**
 * npm run bench:checker — how many nodes one checker on this machine verifies per hour, and how
 * often its measured input-to-frame latency (p50) differs by more than 5 ms from what a real player
 * measured on the same node at the same time. Baseline in the same run, rounds interleaved: two
 * real players on the same node at the same time, which shows how far any two pages disagree.
 * Every page has a browser of its own, as players do: two pages of one headless browser share its
 * renderer, and the second one measured consistently worse than the first.
 * Prints a table and writes test/bench/results/checker.json.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { BrowserContext } from 'playwright-core';
import { LOCAL_SITE, startLocalSystem } from '../../infra/local/system.js';
import { rawPublicKey } from '../../protocol/signing.js';
import { Checker, DEFAULT_PLAY_MS } from '../../services/checker/checker.js';
import { launchBrowser } from '../../services/checker/chromium.js';
import { playAndMeasure, warmUp } from '../../services/checker/synthetic-player.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 10);
/** The checker's own play time by default: the bench measures checks as they run. */
const PLAY_MS = Number(process.env['BENCH_PLAY_MS'] ?? DEFAULT_PLAY_MS);
const THRESHOLD_MS = 5;

/** A real player: the catalogue's Play button, placement, then the same warm-up and play as a check's. */
async function realPlayer(context: BrowserContext, url: string): Promise<number | null> {
  const page = await context.newPage();
  try {
    await page.goto(`${url}/`);
    await page.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    await warmUp(page).catch(async (error: unknown) => {
      throw new Error(`the player did not get a stream: ${await page.locator('#message').textContent()} ${JSON.stringify(await page.evaluate(() => window.edgeplay?.snapshot()?.placement))}`, { cause: error });
    });
    const measured = await playAndMeasure(page, PLAY_MS);
    await page.evaluate(() => window.edgeplay!.leave());
    return measured.latencyP50Ms;
  } finally {
    await page.close();
  }
}

const keys = generateKeyPairSync('ed25519');
const log = pino({ level: 'warn' });
/**
 * The bench measures how well checks agree with players, not whether the node passes: on a loaded
 * machine a starved check could fail, suspend the node and leave the real players unplaced.
 */
const controlPlane = {
  checkers: [{ checkerId: 'bench', publicKey: rawPublicKey(keys.publicKey), location: LOCAL_SITE }],
  checkPolicy: { minFpsShare: 0, maxLatencyP50Ms: 60_000, maxEncodeShare: 1000 },
};
const system = await startLocalSystem({ logger: log, controlPlane, nodes: [{ name: 'bench', slots: 2, latencyStrip: true }] });
const browser = await launchBrowser();
const secondBrowser = await launchBrowser();
// Its single-player checks all time latency (as a check's latency players do); the timed checks below read the stream as shipped.
const checker = await Checker.start({ controlPlaneUrl: system.url, checkerId: 'bench', privateKey: keys.privateKey, maxSessions: 1, playMs: PLAY_MS, streamReadShare: 0, log });
const nodeId = system.nodes[0]!.nodeId;

interface Round {
  mode: 'checker' | 'baseline';
  reference: number | null;
  other: number | null;
  checkSeconds?: number;
  passed?: boolean;
  failures?: string[];
}
/** The first round of each mode starts the game and the encoders cold: played, not counted. */
const WARMUP_ROUNDS = 2;
const rounds: Round[] = [];
try {
  for (let i = 0; i < ROUNDS + WARMUP_ROUNDS; i++) {
    // A round starts on an idle node: the last round's sessions have ended there.
    while (system.nodes[0]!.sessions.size > 0) await sleep(100);
    // A page that gets no stream in time (the shared machine overloaded) leaves its pair unmeasured.
    const measured = (play: Promise<number | null>): Promise<number | null> => play.catch((error: unknown) => (console.log(String(error)), null));
    if (i % 2 === 0) {
      const started = Date.now();
      const [reference, verdict] = await Promise.all([measured(realPlayer(browser.context, system.url)), checker.check(nodeId, 1)]);
      rounds.push({ mode: 'checker', reference, other: verdict.latencyP50Ms, checkSeconds: (Date.now() - started) / 1000, passed: verdict.passed, failures: verdict.failures });
    } else {
      const [reference, other] = await Promise.all([measured(realPlayer(browser.context, system.url)), measured(realPlayer(secondBrowser.context, system.url))]);
      rounds.push({ mode: 'baseline', reference, other });
    }
    console.log(JSON.stringify(rounds.at(-1)));
    if (i < WARMUP_ROUNDS) rounds.pop();
  }
} finally {
  await checker.stop();
  await browser.close();
  await secondBrowser.close();
  await system.close();
}

// Checks run one after another, each taking about its play time plus joining and reporting.
const sequential: number[] = [];
{
  const timed = await startLocalSystem({ logger: log, controlPlane, nodes: [{ name: 'bench', slots: 1, latencyStrip: true }] });
  const alone = await Checker.start({ controlPlaneUrl: timed.url, checkerId: 'bench', privateKey: keys.privateKey, maxSessions: 1, playMs: PLAY_MS, log });
  try {
    for (let i = 0; i < 4; i++) {
      const started = Date.now();
      const verdict = await alone.check(timed.nodes[0]!.nodeId, 1);
      console.log(JSON.stringify({ mode: 'sequential', seconds: (Date.now() - started) / 1000, failures: verdict.failures, fps: verdict.fps, latencyP50Ms: verdict.latencyP50Ms }));
      // The first check starts everything cold.
      if (i > 0) sequential.push((Date.now() - started) / 1000);
    }
  } finally {
    await alone.stop();
    await timed.close();
  }
}

const disagreement = (mode: Round['mode']): { pct: number; meanAbsMs: number; n: number } => {
  const pairs = rounds.filter((r) => r.mode === mode && r.reference !== null && r.other !== null);
  const diffs = pairs.map((r) => Math.abs(r.reference! - r.other!));
  return {
    pct: pairs.length === 0 ? NaN : Math.round((1000 * diffs.filter((d) => d > THRESHOLD_MS).length) / pairs.length) / 10,
    meanAbsMs: pairs.length === 0 ? NaN : Math.round((10 * diffs.reduce((a, b) => a + b, 0)) / pairs.length) / 10,
    n: pairs.length,
  };
};
const checkSeconds = sequential.reduce((a, b) => a + b, 0) / sequential.length;
const checkerMode = disagreement('checker');
const baselineMode = disagreement('baseline');
const result = {
  checks_per_hour: Math.round(3600 / checkSeconds),
  latency_disagreement_pct: checkerMode.pct,
  baseline_disagreement_pct: baselineMode.pct,
  mean_abs_diff_ms: { checker: checkerMode.meanAbsMs, baseline: baselineMode.meanAbsMs },
  pairs: { checker: checkerMode.n, baseline: baselineMode.n },
  check_seconds: Math.round(checkSeconds * 10) / 10,
  play_ms: PLAY_MS,
  threshold_ms: THRESHOLD_MS,
  checks_passed: rounds.filter((r) => r.passed).length,
};

console.log('\nchecker vs a real player on the same node at the same time (p50 input-to-frame), 720p60, loopback');
console.table({
  checker: { 'pairs': checkerMode.n, [`> ${THRESHOLD_MS} ms apart %`]: checkerMode.pct, 'mean |diff| ms': checkerMode.meanAbsMs },
  'baseline (two players)': { 'pairs': baselineMode.n, [`> ${THRESHOLD_MS} ms apart %`]: baselineMode.pct, 'mean |diff| ms': baselineMode.meanAbsMs },
});
console.log(`checks_per_hour = ${result.checks_per_hour} (one check: ${result.check_seconds} s with ${PLAY_MS} ms of play)`);
const out = fileURLToPath(new URL('./results/checker.json', import.meta.url));
await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`written ${out}`);
