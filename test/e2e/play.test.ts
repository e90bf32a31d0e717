import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../infra/local/system.js';
import type { PlayerSnapshot } from '../../web-client/src/lib/player-session.js';
import { nodeSlots } from '../support/api.js';
import { launchBrowser, type Browser } from '../support/browser.js';

const snapshot = (page: Page): Promise<PlayerSnapshot | null> => page.evaluate(() => window.edgeplay?.snapshot() ?? null);

describe('playing the demo game in Chromium', () => {
  let system: LocalSystem;
  let browser: Browser;

  beforeAll(async () => {
    system = await startLocalSystem({ logger: pino({ level: 'warn' }), nodes: [{ name: 'e2e', slots: 1, latencyStrip: true }] });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await system?.close();
  });

  it('launches from the catalogue, streams decoded 720p video and the game\'s sound, reacts to keys and touch, and frees the slot when the tab closes', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${system.url}/`);
    const card = page.locator('[data-game-id="demo-arena"]');
    await expect.poll(() => card.locator('h3').textContent()).toBe('Neon Arena');
    await card.getByRole('button', { name: 'Play' }).click();

    await page.waitForFunction(() => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > 60, null, { timeout: 30_000 });
    await expect.poll(async () => (await snapshot(page))?.stats?.width, { timeout: 10_000 }).toBe(1280);
    expect((await snapshot(page))?.stats?.height).toBe(720);
    // Frames handed to the compositor: at least every one the meter saw (two within one refresh show once).
    const frames = (await snapshot(page))!;
    expect(frames.framesPresented).toBeGreaterThanOrEqual(frames.framesSeen);
    const nodeId = system.nodes[0]!.nodeId;
    expect(await nodeSlots(system.url, nodeId, system.controlPlane.operatorToken)).toMatchObject({ busySlots: 1, freeSlots: 0 });

    const before = await page.locator('#video').screenshot();
    await page.locator('#video').focus();
    for (let i = 0; i < 12; i++) {
      await page.keyboard.down('KeyD');
      await page.waitForTimeout(60);
      await page.keyboard.up('KeyD');
    }
    const sent = (await snapshot(page))!.lastInputSeq;
    expect(sent).toBe(24);
    // The game drew the sequence number of the last key it applied into a decoded frame.
    await page.waitForFunction((seq) => window.edgeplay?.snapshot()?.lastFrameSeq === seq, sent, { timeout: 10_000 });
    const after = await page.locator('#video').screenshot({ path: join(tmpdir(), 'edgeplay-e2e-playing.png') });
    expect(after.equals(before)).toBe(false);
    expect((await snapshot(page))!.latencySamples.length).toBeGreaterThan(0);
    expect(await page.locator('#overlay').textContent()).toMatch(/fps\s+\d+/);
    // The game's sound arrives as its own stream and is played out: energy above silence.
    await expect.poll(async () => (await snapshot(page))?.stats?.audioPacketsReceived ?? 0, { timeout: 10_000 }).toBeGreaterThan(50);
    await expect.poll(async () => (await snapshot(page))?.stats?.audioEnergy ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.locator('#overlay').textContent()).toMatch(/audio \d+ kb\/s/);
    // A thumb on the left half of the video is a virtual gamepad's stick: pad events the game applies.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
    const box = (await page.locator('#video').boundingBox())!;
    const thumb = { x: box.x + box.width * 0.25, y: box.y + box.height * 0.5, id: 1 };
    const beforeTouch = (await snapshot(page))!.lastInputSeq;
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [thumb] });
    for (let step = 1; step <= 4; step++) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ ...thumb, x: thumb.x + 15 * step }] });
      await page.waitForTimeout(30);
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    // The landing (at rest, as before) sends nothing; each move and the release send one pad event each.
    await expect.poll(async () => (await snapshot(page))!.lastInputSeq, { timeout: 5_000 }).toBe(beforeTouch + 5);
    const touched = (await snapshot(page))!.lastInputSeq;
    await page.waitForFunction((seq) => window.edgeplay?.snapshot()?.lastFrameSeq === seq, touched, { timeout: 10_000 });
    await cdp.detach();

    const mute = page.getByRole('button', { name: 'Mute' });
    await mute.click();
    await expect.poll(() => page.locator('#mute').getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Sound on' }).click();
    await expect.poll(() => page.locator('#mute').getAttribute('aria-pressed')).toBe('false');

    await page.close();
    await expect.poll(() => nodeSlots(system.url, nodeId, system.controlPlane.operatorToken), { timeout: 15_000 }).toMatchObject({ freeSlots: 1, busySlots: 0, reservedSlots: 0 });
    expect(system.nodes[0]!.endedSessions.at(-1)?.reason).toBe('player_left');
  });

  it('queues a second player with a visible position while the node is full, and places them when the slot frees', async () => {
    const first = await browser.context.newPage();
    await first.goto(`${system.url}/`);
    await first.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    await first.waitForFunction(() => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > 5, null, { timeout: 30_000 });

    const second = await browser.context.newPage();
    await second.goto(`${system.url}/`);
    await second.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => second.locator('#placement-status').textContent(), { timeout: 15_000 }).toMatch(/number 1 in the queue/);
    expect(await second.locator('#player').isHidden()).toBe(true);

    await first.getByRole('button', { name: 'Leave game' }).click();
    await expect.poll(() => first.getByRole('alert').textContent()).toContain('You left the game');
    await second.waitForFunction(() => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > 5, null, { timeout: 30_000 });
    expect(await second.locator('#player').isVisible()).toBe(true);

    await second.close();
    await expect.poll(() => nodeSlots(system.url, system.nodes[0]!.nodeId, system.controlPlane.operatorToken), { timeout: 15_000 }).toMatchObject({ freeSlots: 1, busySlots: 0, reservedSlots: 0 });
    await first.close();
  });

  it('measures input-to-frame latency through a canvas where the browser has no VideoFrame', async () => {
    const page = await browser.context.newPage();
    await page.addInitScript(() => Reflect.deleteProperty(window, 'VideoFrame'));
    await page.goto(`${system.url}/`);
    expect(await page.evaluate(() => 'VideoFrame' in window)).toBe(false);
    await page.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > 5, null, { timeout: 30_000 });
    await page.locator('#video').focus();
    for (let i = 0; i < 4; i++) {
      await page.keyboard.down('KeyW');
      await page.waitForTimeout(60);
      await page.keyboard.up('KeyW');
    }
    await page.waitForFunction(() => window.edgeplay?.snapshot()?.lastFrameSeq === 8, null, { timeout: 10_000 });
    expect((await snapshot(page))!.latencySamples.length).toBeGreaterThan(0);
    await page.close();
    await expect.poll(() => nodeSlots(system.url, system.nodes[0]!.nodeId, system.controlPlane.operatorToken), { timeout: 15_000 }).toMatchObject({ freeSlots: 1, busySlots: 0, reservedSlots: 0 });
  });

  it('tells the player clearly when no node can run the game at all', async () => {
    await Promise.all(system.nodes.map((node) => node.stop()));
    await expect.poll(() => nodeSlots(system.url, system.nodes[0]!.nodeId, system.controlPlane.operatorToken), { timeout: 20_000 }).toBe(undefined);
    const page = await browser.context.newPage();
    await page.goto(`${system.url}/`);
    await page.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 }).toContain('NO_CAPACITY');
    await page.close();
  });
});
