/**
 * A studio's unmodified Linux game end to end in Chromium: Debian's lbreakout2 packaged as a
 * build, uploaded with the studio CLI (interrupted by Ctrl+C, then resumed), published, launched from the catalogue; the node
 * fetches, verifies, sandboxes and streams it, the player's keyboard and mouse change the game,
 * and the click its menu plays on a key is heard in the browser (the received track's energy).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../infra/local/system.js';
import type { PlayerSnapshot } from '../../web-client/src/lib/player-session.js';
import { launchBrowser, type Browser } from '../support/browser.js';
import { debianGameFolder } from '../support/debian-game-build.js';
import { StudioCli } from '../support/studio-cli.js';

const snapshot = (page: Page): Promise<PlayerSnapshot | null> => page.evaluate(() => window.edgeplay?.snapshot() ?? null);
/** What the page has received and played of the game's sound so far: packets, and their energy (WebRTC's totalAudioEnergy). */
const sound = async (page: Page): Promise<{ packets: number; energy: number }> => {
  const stats = (await snapshot(page))?.stats;
  return { packets: stats?.audioPacketsReceived ?? 0, energy: stats?.audioEnergy ?? 0 };
};

describe('playing a studio-published Debian game in Chromium', () => {
  let system: LocalSystem;
  let browser: Browser;
  let dir: string;
  let buildId: string;

  // Five CLI runs, each a fresh Node process loading TypeScript: seconds apiece on a shared two-core machine.
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-e2e-studio-'));
    await chmod(dir, 0o711);
    system = await startLocalSystem({
      logger: pino({ level: 'warn' }),
      nodes: [{ name: 'e2e', slots: 1, latencyStrip: true, buildCacheDir: join(dir, 'cache'), sandboxDir: join(dir, 'sandboxes') }],
    });
    // The studio's own path: the CLI signs up, packs the game's folder, uploads it (Ctrl+C once
    // part of it is on the server, then the same command again resumes) and publishes it.
    const studio = new StudioCli(join(dir, 'studio.json'));
    expect((await studio.run(['signup', 'Debian Games', '--control-plane', system.url])).code).toBe(0);
    const archive = join(dir, 'lbreakout2.tar.gz');
    expect((await studio.run(['pack', await debianGameFolder(dir, 8 * 1024 ** 2), archive])).code).toBe(0);
    const interrupted = await studio.uploadInterrupted(archive);
    expect(interrupted.stdout).toContain('Run the same command again to resume');
    const resumed = await studio.run(['upload', archive, '--chunk-mb', '1']);
    buildId = /Uploaded lbreakout2 2\.6\.5: build ([a-f0-9]{64})/.exec(resumed.stdout)?.[1] ?? '';
    expect(buildId, resumed.stdout + resumed.stderr).toMatch(/^[a-f0-9]{64}$/);
    const published = await studio.run(['publish', 'lbreakout2', '2.6.5']);
    expect(published.stdout).toMatch(/stable\s+-> 2\.6\.5/);
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await system?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('launches it from the catalogue; the node fetches and sandboxes it; keys and the mouse change its frames; its sound plays', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${system.url}/`);
    const card = page.locator('[data-game-id="lbreakout2"]');
    await expect.poll(() => card.locator('h3').textContent()).toBe('LBreakout2');
    await card.getByRole('button', { name: 'Play' }).click();

    await page.waitForFunction(() => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > 30, null, { timeout: 30_000 });
    await expect.poll(async () => (await snapshot(page))?.stats?.width, { timeout: 10_000 }).toBe(640);
    expect(system.nodes[0]!.builds.has(buildId)).toBe(true);

    const video = page.locator('#video');
    // The decoded picture as 32x24 block means of its luma, the strip's rows left out: lossy video
    // never repeats a frame bit for bit, but what the game drew shows as blocks that change.
    const blocks = (): Promise<number[]> =>
      page.evaluate(() => {
        const element = document.querySelector('video')!;
        const canvas = document.createElement('canvas');
        canvas.width = 32;
        canvas.height = 24;
        const context = canvas.getContext('2d')!;
        context.drawImage(element, 0, 0, 32, 24);
        const pixels = context.getImageData(0, 0, 32, 24).data;
        const means: number[] = [];
        for (let i = 32 * 4; i < pixels.length; i += 4) means.push(0.299 * pixels[i]! + 0.587 * pixels[i + 1]! + 0.114 * pixels[i + 2]!);
        return means;
      });
    const largestChange = (a: number[], b: number[]): number => Math.max(...a.map((value, i) => Math.abs(value - (b[i] ?? 0))));
    const CHANGED = 12;
    const stillFrame = async (): Promise<number[]> => {
      await page.waitForTimeout(1000);
      return blocks();
    };

    const atRest = await sound(page);
    const beforeKeys = await stillFrame();
    // Without input the picture holds still: what the checks below see is the game's answer.
    expect(largestChange(await stillFrame(), beforeKeys)).toBeLessThan(CHANGED);
    // The page's stats lag by up to a second: two seconds apart, they span at least one of rest.
    const beforeSound = await sound(page);
    // Sound arrives while the game is idle, and it is silent (or at least quieter than what follows).
    expect(beforeSound.packets).toBeGreaterThan(atRest.packets);
    const idleEnergy = beforeSound.energy - atRest.energy;
    await video.focus();
    for (let i = 0; i < 2; i++) {
      await page.keyboard.down('ArrowDown');
      await page.waitForTimeout(80);
      await page.keyboard.up('ArrowDown');
    }
    const sent = (await snapshot(page))!.lastInputSeq;
    expect(sent).toBe(4);
    // The node stamped the seq of the last input it injected into a frame captured after it.
    await page.waitForFunction((seq) => window.edgeplay?.snapshot()?.lastFrameSeq === seq, sent, { timeout: 10_000 });
    await expect.poll(async () => largestChange(await blocks(), beforeKeys), { timeout: 5000 }).toBeGreaterThan(CHANGED);
    // The menu clicks as its highlight moves: the page plays that sound.
    await expect.poll(async () => (await sound(page)).energy - beforeSound.energy, { timeout: 5000 }).toBeGreaterThan(Math.max(idleEnergy, 0));

    // Pointer lock, as a player clicking into the game gets; relative motion moves the game's pointer.
    await video.click();
    await page.waitForFunction(() => document.pointerLockElement !== null, null, { timeout: 5000 });
    const beforeMouse = await stillFrame();
    const box = (await video.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let step = 0; step < 10; step++) await page.mouse.move(box.x + box.width / 2 - 20 * step, box.y + box.height / 2 + 25 * step);
    const moved = (await snapshot(page))!.lastInputSeq;
    expect(moved).toBeGreaterThan(sent);
    await page.waitForFunction((seq) => window.edgeplay?.snapshot()?.lastFrameSeq === seq, moved, { timeout: 10_000 });
    await expect.poll(async () => largestChange(await blocks(), beforeMouse), { timeout: 5000 }).toBeGreaterThan(CHANGED);
    await page.close();
    // A cold node fetches, unpacks and starts an X11 game, and each check waits for the picture to settle.
  }, 60_000);
});
