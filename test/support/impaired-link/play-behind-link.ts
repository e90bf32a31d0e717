/**
 * The whole system on this machine (control plane, an edge node with the demo game) with the
 * player's Chromium behind an impaired link: what the bad-network tests and `bench:network` drive.
 * The page records the gaps between the frames it is handed (requestVideoFrameCallback's
 * presentedFrames and the times they are displayed), which is how a freeze shows to a player.
 */
import pino from 'pino';
import type { Page } from 'playwright-core';
import type { VideoSourceStats } from '../../../edge-node/media/video-source.js';
import type { StreamSession } from '../../../edge-node/session/stream-session.js';
import { LOCAL_SITE, startLocalSystem, type LocalSystem } from '../../../infra/local/system.js';
import type { PlayerSnapshot } from '../../../web-client/src/lib/player-session.js';
import { launchBrowser, type Browser } from '../browser.js';
import { startSystemProcess, type SystemProcess } from '../system-process.js';
import { ImpairedLink, type Impairment } from './impaired-link.js';

export interface FrameGaps {
  /** Frames handed to the compositor since the last reset. */
  frames: number;
  /** Longest time between two consecutive presented frames since the last reset, ms. */
  maxGapMs: number;
  /** When each frame since the last reset was displayed (page clock, ms). */
  times: number[];
}

declare global {
  interface Window {
    frameGaps?: { read(): FrameGaps; reset(): void };
  }
}

export interface PlayBehindLink {
  link: ImpairedLink;
  browser: Browser;
  page: Page;
  /** The node's session for this player; only where the system runs in this process. */
  session(): StreamSession;
  /** The video stats of the player's session on the node. */
  videoStats(): Promise<VideoSourceStats>;
  snapshot(): Promise<PlayerSnapshot>;
  frameGaps(): Promise<FrameGaps>;
  resetFrameGaps(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `ownProcess`: the control plane and node run in a process of their own, as `npm start` runs
 * them (what a benchmark wants: its browser automation then does not share the node's event loop);
 * `session()` is then unavailable.
 */
export async function playBehindLink(options: { impairment?: Impairment; latencyStrip?: boolean; ownProcess?: boolean } = {}): Promise<PlayBehindLink> {
  const link = await ImpairedLink.create();
  let system: LocalSystem | SystemProcess | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await system?.close().catch(() => undefined);
    await link.close();
  };
  try {
    await link.set(options.impairment ?? {});
    const host = link.hostIp;
    const latencyStrip = options.latencyStrip ?? false;
    const inProcess = options.ownProcess
      ? undefined
      : await startLocalSystem({
          logger: pino({ level: 'warn' }),
          controlPlane: { host },
          nodes: [{ name: 'behind-link', slots: 1, host, listenIp: host, latencyStrip }],
        });
    system = inProcess ?? (await startSystemProcess({ name: 'behind-link', host, latencyStrip }));
    const url = system.url;
    // The page needs a secure context (mediasoup-client refuses the device otherwise), which only loopback gets without TLS.
    browser = await launchBrowser({ executablePath: await link.chromiumExecutable(), args: [`--unsafely-treat-insecure-origin-as-secure=${url}`] });
    const page = await browser.context.newPage();
    // A private address cannot be located by IP: the page says where the player is.
    await page.goto(`${url}/?lat=${LOCAL_SITE.lat}&lng=${LOCAL_SITE.lng}`);
    await page.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > 30, null, { timeout: 60_000 });
    await page.evaluate(recordFrameGaps);
    await page.locator('#video').focus();
    const ownSystem = system;
    const session = (): StreamSession => {
      const found = inProcess && [...inProcess.nodes[0]!.sessions.values()][0];
      if (!found) throw new Error(inProcess ? 'the player has no session on the node' : 'the node runs in a process of its own');
      return found;
    };
    return {
      link,
      browser,
      page,
      session,
      videoStats: async () => {
        const stats = inProcess ? session().video.stats : await (ownSystem as SystemProcess).stats();
        if (!stats) throw new Error('the player has no session on the node');
        return { ...stats };
      },
      snapshot: () => page.evaluate(() => window.edgeplay!.snapshot()!),
      frameGaps: () => page.evaluate(() => window.frameGaps!.read()),
      resetFrameGaps: () => page.evaluate(() => window.frameGaps!.reset()),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Runs in the page. A string, not a function: tsx's transform would wrap a function's inner
 * closures in a helper that does not exist in the page.
 */
const recordFrameGaps = `(() => {
  const video = document.querySelector('video');
  if (!video) throw new Error('no video element');
  let state = { frames: 0, maxGapMs: 0, times: [] };
  let last;
  let lastNow;
  let refreshMs = Infinity;
  function onFrame(now, meta) {
    if (lastNow !== undefined && now - lastNow >= 2) refreshMs = Math.min(refreshMs, now - lastNow);
    lastNow = now;
    // When the frame is drawn: the first refresh at or after it reached the compositor, as the
    // page's meter takes it (web-client/src/lib/display-time.ts says why not expectedDisplayTime).
    const at = Number.isFinite(refreshMs) ? now + Math.ceil((meta.presentationTime - now) / refreshMs) * refreshMs : now;
    // A callback can stand for several frames (presentedFrames jumps): they came together, no gap among them.
    if (last !== undefined && meta.presentedFrames > last.presented) {
      state.frames += meta.presentedFrames - last.presented;
      state.maxGapMs = Math.max(state.maxGapMs, at - last.at);
      state.times.push(at);
    }
    last = { presented: meta.presentedFrames, at };
    video.requestVideoFrameCallback(onFrame);
  }
  video.requestVideoFrameCallback(onFrame);
  window.frameGaps = {
    read: () => ({ ...state, times: [...state.times] }),
    reset: () => { state = { frames: 0, maxGapMs: 0, times: [] }; },
  };
})()`;
