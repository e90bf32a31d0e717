import pino from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../infra/local/system.js';
import type { PlayerSnapshot } from '../../web-client/src/lib/player-session.js';
import { launchBrowser, type Browser } from '../support/browser.js';

const snapshot = (page: Page): Promise<PlayerSnapshot> => page.evaluate(() => window.edgeplay!.snapshot()!);

describe('the page painting decoded frames itself (?view=canvas)', () => {
  let system: LocalSystem;
  let browser: Browser;

  beforeAll(async () => {
    system = await startLocalSystem({ logger: pino({ level: 'warn' }), nodes: [{ name: 'e2e-canvas', slots: 1, latencyStrip: true }] });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await system?.close();
  });

  it('decodes the encoded frames in a worker, paints them on the canvas, reads the latency strip from them, and the sound still plays', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${system.url}/?view=canvas`);
    await page.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => (window.edgeplay?.snapshot()?.framesPresented ?? 0) > 60, null, { timeout: 30_000 });
    const started = await snapshot(page);
    expect(started.view).toBe('canvas');
    expect(started.framesPresented).toBeGreaterThanOrEqual(started.framesSeen);
    // The <video> element gets no frames on this path: what shows is the canvas over it.
    expect(await page.evaluate(() => (document.querySelector('#video') as HTMLVideoElement).srcObject)).toBeNull();
    expect(await page.locator('canvas.decoded-view').count()).toBe(1);

    const before = await page.locator('#video').screenshot();
    await page.locator('#video').focus();
    for (let i = 0; i < 6; i++) {
      await page.keyboard.down('KeyD');
      await page.waitForTimeout(60);
      await page.keyboard.up('KeyD');
    }
    const sent = (await snapshot(page)).lastInputSeq;
    expect(sent).toBe(12);
    // The sequence number was read from a decoded VideoFrame in the worker.
    await page.waitForFunction((seq) => window.edgeplay?.snapshot()?.lastFrameSeq === seq, sent, { timeout: 10_000 });
    const after = await page.locator('#video').screenshot();
    expect(after.equals(before)).toBe(false);
    const samples = (await snapshot(page)).latencySamples;
    // Every input is answered once: twelve inputs, twelve samples (all on this path).
    expect(samples.length).toBe(12);
    expect(samples.every((ms) => ms > 0 && ms < 2000)).toBe(true);
    // The audio receiver's frames pass through the same worker: the sound is still heard.
    await expect.poll(async () => (await snapshot(page)).stats?.audioEnergy ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    await page.close();
  });
});
