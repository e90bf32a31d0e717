/**
 * Checks the page's display time against Chromium's own compositor. For a couple of seconds it
 * records what the page's requestVideoFrameCallback sees and, at the same time, a Chromium trace:
 * when each frame reached the compositor (`SetCurrentFrame Timestamps`, whose presentation_time
 * is the callback's presentationTime), when the video's surface took it (`Surface::CommitFrame`)
 * and when the display compositor drew the picture that holds it (`Display::DrawAndSwap`). For
 * every frame it reports how far the meter's display time (display-time.ts) and Chromium's
 * expectedDisplayTime lie from that draw: negative is earlier than the draw, kinder than the truth.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { RefreshPeriod, shownAt } from '../../../web-client/src/lib/display-time.js';

export interface Spread {
  min: number;
  p5: number;
  p50: number;
  p95: number;
  max: number;
}

export interface DrawCheck {
  frames: number;
  /** The meter's display time minus the draw, ms. */
  meterMinusDraw: Spread;
  /** Chromium's expectedDisplayTime minus the draw, ms. */
  expectedMinusDraw: Spread;
}

interface TraceEvent {
  name?: string;
  ts: number;
  args?: Record<string, unknown>;
}

/** [callback now, presentationTime, expectedDisplayTime, presentedFrames], page clock. */
type PageFrame = [number, number, number, number];

/** Trace categories holding the events above; few enough that tracing costs the page little. */
const CATEGORIES = 'media,viz';
/** presentationTime is coarsened on the page; a trace time this close is the same moment. */
const SAME_MOMENT_MS = 0.15;

export async function checkAgainstDraws(context: BrowserContext, page: Page, durationMs: number): Promise<DrawCheck | null> {
  // A string, so that no helper the bundler adds to functions follows it into the page.
  await page.evaluate(`(() => {
    const video = document.querySelector('#video');
    const frames = (window.drawCheckFrames = []);
    const onFrame = (now, meta) => {
      if (window.drawCheckFrames !== frames) return;
      frames.push([now, meta.presentationTime, meta.expectedDisplayTime, meta.presentedFrames]);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  })()`);
  const cdp = await context.newCDPSession(page);
  try {
    await cdp.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReturnAsStream' });
    await page.waitForTimeout(durationMs);
    const complete = new Promise<{ stream?: string }>((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.end');
    const { stream } = await complete;
    if (stream === undefined) return null;
    let text = '';
    for (;;) {
      const chunk = await cdp.send('IO.read', { handle: stream });
      text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString() : chunk.data;
      if (chunk.eof) break;
    }
    await cdp.send('IO.close', { handle: stream });
    const frames = (await page.evaluate('(() => { const frames = window.drawCheckFrames; window.drawCheckFrames = null; return frames; })()')) as PageFrame[];
    const parsed = JSON.parse(text) as { traceEvents: TraceEvent[] } | TraceEvent[];
    return compare(frames, Array.isArray(parsed) ? parsed : parsed.traceEvents);
  } finally {
    await cdp.detach();
  }
}

function compare(frames: PageFrame[], events: TraceEvent[]): DrawCheck | null {
  const reached = events
    .filter((e) => e.name === 'SetCurrentFrame Timestamps' && typeof e.args?.['presentation_time'] === 'number')
    .map((e) => (e.args!['presentation_time'] as number) / 1000)
    .sort((a, b) => a - b);
  const offset = clockOffset(frames.map((f) => f[1]), reached);
  if (offset === undefined) return null;
  const commits = events.filter((e) => e.name === 'Surface::CommitFrame').sort((a, b) => a.ts - b.ts);
  const draws = events.filter((e) => e.name === 'Display::DrawAndSwap').map((e) => e.ts / 1000).sort((a, b) => a - b);
  // The video's surface: the one committed first after most frames reached the compositor.
  const votes = new Map<unknown, number>();
  for (const at of reached) {
    const commit = commits.find((c) => c.ts / 1000 >= at);
    if (commit) votes.set(commit.args?.['SurfaceId'], (votes.get(commit.args?.['SurfaceId']) ?? 0) + 1);
  }
  const videoSurface = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
  const videoCommits = commits.filter((c) => c.args?.['SurfaceId'] === videoSurface).map((c) => c.ts / 1000);

  const refresh = new RefreshPeriod();
  for (const [now] of frames) refresh.add(now);
  const meter: number[] = [];
  const expected: number[] = [];
  let presentedBefore: number | undefined;
  for (const [now, presentedAt, expectedAt, presented] of frames) {
    const framesSince = presentedBefore === undefined ? 1 : presented - presentedBefore;
    presentedBefore = presented;
    const at = presentedAt + offset;
    if (nearest(reached, at) > SAME_MOMENT_MS) continue;
    const commit = videoCommits.find((c) => c >= at);
    const draw = commit === undefined ? undefined : draws.find((d) => d >= commit);
    if (draw === undefined) continue;
    meter.push(shownAt({ presentedAt, expectedAt, refreshAt: now }, refresh.ms, framesSince) + offset - draw);
    expected.push(expectedAt + offset - draw);
  }
  if (meter.length === 0) return null;
  return { frames: meter.length, meterMinusDraw: spread(meter), expectedMinusDraw: spread(expected) };
}

/**
 * Trace time minus page time: the page's clock starts at its time origin, the trace's at boot.
 * Frames reach the compositor at irregular moments, so the one shift that lines most of them up
 * with the trace's is the offset (a regular grid such as the refreshes would fit at every period).
 */
function clockOffset(pageTimes: number[], traceTimes: number[]): number | undefined {
  let best: { matches: number; offset: number } | undefined;
  for (const traceAt of traceTimes.slice(0, 10)) {
    for (const pageAt of pageTimes) {
      const offset = traceAt - pageAt;
      const matches = pageTimes.filter((t) => nearest(traceTimes, t + offset) <= SAME_MOMENT_MS).length;
      if (!best || matches > best.matches) best = { matches, offset };
    }
  }
  return best && best.matches >= Math.min(10, pageTimes.length / 2) ? best.offset : undefined;
}

function nearest(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(Math.abs((sorted[lo] ?? Infinity) - value), Math.abs((sorted[lo - 1] ?? Infinity) - value));
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10;
  return { min: at(0), p5: at(0.05), p50: at(0.5), p95: at(0.95), max: at(1) };
}
