/**
 * The checker plays real edge nodes through the normal page in real Chromium: an honest node
 * passes (and is paid for the check like any session), a node claiming to be far from where it
 * answers and a node claiming more slots than it streams are caught, and one that keeps failing
 * is suspended from placement.
 */
import { generateKeyPairSync } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeVerification } from '../../protocol/checks.js';
import type { EarningsStatement } from '../../protocol/metering.js';
import { AppError } from '../../protocol/errors.js';
import { rawPublicKey } from '../../protocol/signing.js';
import { LOCAL_SITE, startLocalSystem, type LocalSystem } from '../../infra/local/system.js';
import { Checker } from '../../services/checker/checker.js';
import { api } from '../integration/services/helpers/http.js';
import { TestPlayer } from '../integration/services/helpers/players.js';
import { launchBrowser, type Browser } from '../support/browser.js';

const SYDNEY = { lat: -33.87, lng: 151.21 };

describe('the checker service against real edge nodes', () => {
  let system: LocalSystem;
  let checker: Checker;
  let browser: Browser;

  beforeAll(async () => {
    const keys = generateKeyPairSync('ed25519');
    const log = pino({ level: 'warn' });
    system = await startLocalSystem({
      logger: log,
      controlPlane: {
        checkers: [{ checkerId: 'berlin-1', publicKey: rawPublicKey(keys.publicKey), location: LOCAL_SITE }],
        // Dozens of browsers, games and encoders share this machine's two cores during a test run,
        // so the frame-rate and latency budgets are loosened: these tests are about slots, location
        // and suspension (the budgets themselves are unit-tested in check-judge.test.ts).
        checkPolicy: { minFpsShare: 0.4, maxLatencyP50Ms: 300 },
      },
      nodes: [
        { name: 'honest', slots: 1, latencyStrip: true },
        { name: 'far-away', slots: 1, latencyStrip: true, location: SYDNEY },
        { name: 'too-many-slots', slots: 2, latencyStrip: true },
      ],
    });
    // The rig streams one session but declared two: it turns away any player beyond the first.
    const overclaimed = system.nodes[2]!;
    const open = overclaimed.open.bind(overclaimed);
    let opening = 0;
    overclaimed.open = async (claims) => {
      if (overclaimed.sessions.size + opening >= 1) throw new AppError('SLOT_UNAVAILABLE');
      opening++;
      try {
        return await open(claims);
      } finally {
        opening--;
      }
    };
    browser = await launchBrowser();
    // Every single-player check times latency here (checker-encoder.test.ts has the ones that read the stream).
    checker = await Checker.start({ controlPlaneUrl: system.url, checkerId: 'berlin-1', privateKey: keys.privateKey, playMs: 3_000, streamReadShare: 0, log });
  });
  afterAll(async () => {
    await checker?.stop();
    await browser?.close();
    await system?.close();
  });

  const verification = async (nodeId: string): Promise<NodeVerification> => (await api<NodeVerification>(system.url, `/v1/nodes/${nodeId}/verification`)).body;

  it('passes an honest node, and its synthetic player is metered like any player', async () => {
    const honest = system.nodes[0]!;
    const verdict = await checker.check(honest.nodeId, 1);
    expect(verdict.failures).toEqual([]);
    expect(verdict.passed).toBe(true);
    expect(verdict.fps).toBeGreaterThan(24);
    expect(verdict.latencyP50Ms).not.toBeNull();
    expect(verdict.rttMs).not.toBeNull();
    const after = await verification(honest.nodeId);
    expect(after).toMatchObject({ checksPassed: 1, suspended: false });
    expect(after.reputation).toBeGreaterThan(0.8);

    // The check's page handed in its signed usage record; the node's end report arrives beside it.
    await expect
      .poll(async () => (await api<EarningsStatement>(system.url, '/v1/operators/me/earnings', { token: system.controlPlane.operatorToken })).body.settlements, { timeout: 15_000 })
      .toContainEqual(expect.objectContaining({ nodeId: honest.nodeId, status: 'credited' }));
  });

  it('catches a node that declares a location far from where it answers', async () => {
    const verdict = await checker.check(system.nodes[1]!.nodeId, 1);
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toContain('location_impossible');
    // Loopback answers within milliseconds even on a loaded machine: a few thousand km at most, not 16,000.
    expect(verdict.maxDistanceKm).toBeLessThan(5000);
  });

  it('catches a node that declares more slots than it streams, and suspends it from placement after repeated failures until a check passes', async () => {
    const overclaimed = system.nodes[2]!;
    const first = await checker.check(overclaimed.nodeId, 2);
    expect(first.failures).toContain('slots_short');
    for (let i = 0; i < 2; i++) await checker.check(overclaimed.nodeId, 2);
    const suspended = await verification(overclaimed.nodeId);
    expect(suspended).toMatchObject({ suspended: true, reputation: 0, consecutiveFailures: 3 });

    // Placement no longer offers it, while the honest node stays on offer.
    const player = await TestPlayer.join(system.url);
    const offer = await player.offer(LOCAL_SITE);
    const offered = offer.candidates.map((c) => c.nodeId);
    expect(offered).not.toContain(overclaimed.nodeId);
    expect(offered).toContain(system.nodes[0]!.nodeId);
    await player.cancel(offer.placementId);

    // Fixed (it now declares what it streams, checked with one player): the next pass lifts the suspension.
    // (Once the last check's player has left: the rig turns away a second one.)
    await expect.poll(() => overclaimed.sessions.size, { timeout: 10_000 }).toBe(0);
    const passed = await checker.check(overclaimed.nodeId, 1);
    expect(passed.failures).toEqual([]);
    expect(passed.passed).toBe(true);
    expect((await verification(overclaimed.nodeId)).suspended).toBe(false);
    // Four checks of a few seconds' play each, with real players joining and leaving.
  }, 150_000);

  it("shows the operator their nodes on the hexagon map, each with its checks, reputation, players' latency and earnings", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${system.url}/#operator`);
    await page.locator('#operator-token').fill(system.controlPlane.operatorToken);
    await page.getByRole('button', { name: 'Show my nodes' }).click();
    await expect.poll(() => page.locator('.node-card').count(), { timeout: 10_000 }).toBe(3);
    // Berlin's nodes share a hexagon; Sydney's has its own.
    expect(await page.locator('#operator-map polygon.hex').count()).toBe(2);
    const honest = page.locator(`[data-node-id="${system.nodes[0]!.nodeId}"]`);
    expect(await honest.locator('.check.passed').count()).toBeGreaterThanOrEqual(1);
    expect(await honest.textContent()).toMatch(/1 passed · 0 failed/);
    expect(await honest.locator('.chart .line').count()).toBe(1);
    const farAway = page.locator(`[data-node-id="${system.nodes[1]!.nodeId}"]`);
    expect(await farAway.locator('.check.failed').getAttribute('title')).toContain('location_impossible');
    expect(await page.locator('#operator-summary').textContent()).toMatch(/3 nodes · [\d.]+ h credited · earned [\d.]+/);
    await page.close();
  });
});
