/**
 * One synthetic player: a tab of the normal player page in headless Chromium that joins a session
 * granted to the checker (a normal ticket, the page's own usage key), plays the verification game
 * with irregular key presses for a while, and reads what the page measured. The page also reads
 * the stream's SEI from its encoded frames (stream-inspector/): the encoder the stream names and
 * its encode times, which no node-side report supplies.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { CheckSessionGranted, CheckSessionMeasurement } from '../../protocol/checks.js';
import type { PlayerUsageKey } from '../../protocol/metering.js';
import type { PlayerSnapshot } from '../../web-client/src/lib/player-session.js';
import type { EncodedStreamReport } from '../../web-client/src/lib/stream-inspector/stream-inspector.js';

/** Frames the page must have shown for a player to count as joined. */
const JOINED_FRAMES = 30;
/**
 * Then how long it plays before the measured play starts: two of the frame pacer's windows
 * (web-client/src/lib/frame-pacer.ts), by which it has moved the game's clock most of the way to
 * where it keeps it. Anything that compares its measurement with a player's (the bench) warms up
 * the same way (warmUp).
 */
const WARMUP_MS = 2_000;
const JOIN_TIMEOUT_MS = 20_000;
const KEYS = ['KeyW', 'KeyD', 'KeyS', 'KeyA'];

export interface SyntheticPlay {
  pageUrl: string;
  playMs: number;
  /** Asks the control plane for a session with the page's usage key; null when the node has no free slot. */
  grant: (usageKey: PlayerUsageKey) => Promise<CheckSessionGranted | null>;
  /**
   * What this player measures. `latency`: input-to-display, the way a player's page does. `stream`:
   * the encoder and encode times the stream's SEI shows; reading encoded frames puts a worker
   * between the network and the decoder, which delays every frame, so this player's latency is not
   * a player's and is not reported.
   */
  role: 'latency' | 'stream';
}

const NOT_JOINED = { joined: false, fps: 0, latencyP50Ms: null, latencyP95Ms: null, rttMs: null, decodeMs: null, width: 0, height: 0, encodeMs: null, encoder: null } as const;

export async function playSynthetic(context: BrowserContext, { pageUrl, playMs, grant, role }: SyntheticPlay): Promise<CheckSessionMeasurement> {
  const page = await context.newPage();
  try {
    await page.goto(pageUrl);
    await page.waitForFunction(() => window.edgeplay !== undefined);
    const granted = await grant(await page.evaluate(() => window.edgeplay!.usageKey()));
    if (granted === null) return { sessionId: null, ...NOT_JOINED };
    const sessionId = granted.session.sessionId;
    try {
      await page.evaluate(({ g, inspect }) => window.edgeplay!.join(g.session, g.guest, { inspect }), { g: granted, inspect: role === 'stream' });
      await joined(page);
    } catch {
      return { sessionId, ...NOT_JOINED };
    }
    await page.waitForTimeout(WARMUP_MS);
    const played = await playAndMeasure(page, playMs);
    const measurement = role === 'stream' ? { ...played, latencyP50Ms: null, latencyP95Ms: null } : { ...played, encodeMs: null, encoder: null };
    await page.evaluate(() => window.edgeplay!.leave());
    await page.evaluate(() => window.edgeplay!.usageReported());
    return { sessionId, ...measurement };
  } finally {
    await page.close();
  }
}

/** Resolves once the page has shown its first frames; rejects when it does not within the join timeout. */
async function joined(page: Page): Promise<void> {
  await page.waitForFunction((frames) => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > frames, JOINED_FRAMES, { timeout: JOIN_TIMEOUT_MS });
}

/** A page that has joined a stream, played the way a check's players warm up before they measure. */
export async function warmUp(page: Page): Promise<void> {
  await joined(page);
  await page.waitForTimeout(WARMUP_MS);
}

/** Plays a page that is streaming for `playMs` and reads what it measured over that time. */
export async function playAndMeasure(page: Page, playMs: number): Promise<Omit<CheckSessionMeasurement, 'sessionId'>> {
  const snap = (): Promise<PlayerSnapshot> => page.evaluate(() => window.edgeplay!.snapshot()!);
  await page.locator('#video').focus();
  const start = await snap();
  const startedAt = Date.now();
  for (let i = 0; Date.now() - startedAt < playMs; i++) {
    const key = KEYS[Math.floor(i / 2) % KEYS.length]!;
    if (i % 2 === 0) await page.keyboard.down(key);
    else await page.keyboard.up(key);
    // Irregular spacing, so inputs do not lock to the game's or the compositor's clock; two to
    // four frames apart, so that a few seconds give the median enough samples to settle within a
    // millisecond or two.
    await page.waitForTimeout(35 + Math.random() * 35);
  }
  await page.waitForTimeout(300);
  const end = await snap();
  const seconds = (Date.now() - startedAt) / 1000;
  const samples = end.latencySamples.slice(start.latencySamples.length).sort((a, b) => a - b);
  const rttMs = end.stats?.rttMs ?? null;
  return {
    joined: true,
    fps: round((end.framesPresented - start.framesPresented) / seconds),
    latencyP50Ms: percentile(samples, 50),
    latencyP95Ms: percentile(samples, 95),
    rttMs,
    decodeMs: end.stats?.decodeMs ?? null,
    width: end.stats?.width ?? 0,
    height: end.stats?.height ?? 0,
    encodeMs: encodeTime(start.encodedStream, end.encodedStream, rttMs),
    encoder: end.encodedStream?.encoder ?? null,
  };
}

/**
 * The median encode time over the play window, from the stream's own timing: how long after the
 * node's encode stamp each frame was whole at the page, less the half round trip it spent on the
 * way (the stamp is the node's clock, the arrival the page's: they agree on one machine and on
 * NTP-disciplined ones to within a few milliseconds, which README's verification section notes).
 */
export function encodeTime(start: EncodedStreamReport | null, end: EncodedStreamReport | null, rttMs: number | null): number | null {
  if (end === null) return null;
  const window = end.sinceEncodeStartMs.slice(start?.sinceEncodeStartMs.length ?? 0).sort((a, b) => a - b);
  const median = percentile(window, 50);
  return median === null ? null : round(Math.max(0, median - (rttMs ?? 0) / 2));
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
