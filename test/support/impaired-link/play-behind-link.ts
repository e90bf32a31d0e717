/**
 * The whole system on this machine (control plane, an edge node with the demo game) with the
 * player's Chromium behind an impaired link: what the bad-network tests and `bench:network` drive.
 * The page records the gaps between the frames it is handed (requestVideoFrameCallback's
 * presentedFrames and the times they are displayed), which is how a freeze shows to a player.
 */
import pino from 'pino';
import type { Page } from 'playwright-core';
import type { StreamSession } from '../../../edge-node/session/stream-session.js';
import { LOCAL_SITE, startLocalSystem, type LocalSystem } from '../../../infra/local/system.js';
import type { PlayerSnapshot } from '../../../web-client/src/lib/player-session.js';
import { launchBrowser, type Browser } from '../browser.js';
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
  system: LocalSystem;
  browser: Browser;
  page: Page;
  /** The node's session for this player. */
  session(): StreamSession;
  snapshot(): Promise<PlayerSnapshot>;
  frameGaps(): Promise<FrameGaps>;
  resetFrameGaps(): Promise<void>;
  close(): Promise<void>;
}

export async function playBehindLink(options: { impairment?: Impairment; latencyStrip?: boolean } = {}): Promise<PlayBehindLink> {
  const link = await ImpairedLink.create();
  let system: LocalSystem | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await system?.close().catch(() => undefined);
    await link.close();
  };
  try {
    await link.set(options.impairment ?? {});
    const host = link.hostIp;
    system = await startLocalSystem({
      logger: pino({ level: 'warn' }),
      controlPlane: { host },
      nodes: [{ name: 'behind-link', slots: 1, host, listenIp: host, latencyStrip: options.latencyStrip ?? false }],
    });
    // The page needs a secure context (mediasoup-client refuses the device otherwise), which only loopback gets without TLS.
    browser = await launchBrowser({ executablePath: await link.chromiumExecutable(), args: [`--unsafely-treat-insecure-origin-as-secure=${system.url}`] });
    const page = await browser.context.newPage();
    // A private address cannot be located by IP: the page says where the player is.
    await page.goto(`${system.url}/?lat=${LOCAL_SITE.lat}&lng=${LOCAL_SITE.lng}`);
    await page.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > 30, null, { timeout: 60_000 });
    await page.evaluate(recordFrameGaps);
    await page.locator('#video').focus();
    const node = system.nodes[0]!;
    return {
      link,
      system,
      browser,
      page,
      session: () => {
        const session = [...node.sessions.values()][0];
        if (!session) throw new Error('the player has no session on the node');
        return session;
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
  function onFrame(_now, meta) {
    // A callback can stand for several frames (presentedFrames jumps): they came together, no gap among them.
    const at = meta.expectedDisplayTime;
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
