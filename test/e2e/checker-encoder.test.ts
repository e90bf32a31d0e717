/**
 * Checks read the encoder from the stream itself: a real node that declares a GPU and NVENC while
 * it streams x264 is caught by the name x264 writes into the stream (the node repeats it with
 * every IDR), and the encode time a check reports comes from the stream's own timing: the node's
 * per-frame encode stamp against the frame's arrival at the checker's page. A node whose encoder
 * is too slow for the slots it declared fails on it.
 */
import { generateKeyPairSync } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeVerification } from '../../protocol/checks.js';
import { rawPublicKey } from '../../protocol/signing.js';
import { LOCAL_SITE, startLocalSystem, type LocalSystem } from '../../infra/local/system.js';
import { Checker } from '../../services/checker/checker.js';
import { api } from '../integration/services/helpers/http.js';
import { launchBrowser, type Browser } from '../support/browser.js';

describe('checks of the encoder a node declares', () => {
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
        // The machine running the tests is shared and loaded: frame rate and latency are not what
        // these tests are about, and an honest encode takes longer than on a quiet rig, so its
        // budget is two frame periods here (check-judge.test.ts covers the budgets themselves).
        checkPolicy: { minFpsShare: 0.2, maxLatencyP50Ms: 1000, maxEncodeShare: 2 },
      },
      nodes: [
        { name: 'honest', slots: 1, latencyStrip: true, encoders: ['h264', 'x264'] },
        { name: 'claims-nvenc', slots: 1, latencyStrip: true, gpu: { model: 'NVIDIA GeForce RTX 4090', vramMb: 24_564 }, encoders: ['h264', 'nvenc'] },
        // x264's placebo preset, still one frame in and one out: several 60 fps frame periods per frame, loaded machine or quiet.
        { name: 'slow-encoder', slots: 1, latencyStrip: true, encoder: { preset: 'placebo' } },
      ],
    });
    browser = await launchBrowser();
    checker = await Checker.start({ controlPlaneUrl: system.url, checkerId: 'berlin-1', privateKey: keys.privateKey, playMs: 3_000, streamReadShare: 1, log });
  });
  afterAll(async () => {
    await checker?.stop();
    await browser?.close();
    await system?.close();
  });

  const verification = async (nodeId: string): Promise<NodeVerification> => (await api<NodeVerification>(system.url, `/v1/nodes/${nodeId}/verification`)).body;

  it('reads x264 and an encode time from an honest node, which passes its encoder checks', async () => {
    const verdict = await checker.check(system.nodes[0]!.nodeId, 1);
    expect(verdict.encoder).toMatch(/^x264 - core \d+/);
    expect(verdict.failures).not.toContain('encoder_mismatch');
    expect(verdict.failures).not.toContain('encode_slow');
    expect(verdict.encodeMs).toBeGreaterThan(0);
    expect(verdict.encodeMs).toBeLessThan(2000 / 60);
  });

  it('fails a node that declares a GPU with NVENC and streams x264, and keeps the signed failure', async () => {
    const nodeId = system.nodes[1]!.nodeId;
    const verdict = await checker.check(nodeId, 1);
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toContain('encoder_mismatch');
    expect(verdict.encoder).toMatch(/^x264/);
    const stored = await verification(nodeId);
    expect(stored.checksFailed).toBe(1);
    expect(stored.recentChecks.at(-1)).toMatchObject({ checkId: verdict.checkId, passed: false, failures: expect.arrayContaining(['encoder_mismatch']) });
  });

  it('fails a node whose encoder takes longer than a frame period, by the stream timing', async () => {
    const verdict = await checker.check(system.nodes[2]!.nodeId, 1);
    expect(verdict.failures).toContain('encode_slow');
    expect(verdict.encodeMs).toBeGreaterThan(2000 / 60);
  });

  it('shows the operator, for each check, the encoder its stream named and its encode time', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${system.url}/#operator`);
    await page.locator('#operator-token').fill(system.controlPlane.operatorToken);
    await page.getByRole('button', { name: 'Show my nodes' }).click();
    const claimsNvenc = page.locator(`[data-node-id="${system.nodes[1]!.nodeId}"]`);
    await expect.poll(() => claimsNvenc.count(), { timeout: 10_000 }).toBe(1);
    expect(await claimsNvenc.textContent()).toMatch(/x264 - core \d+[^·]*· [\d.]+ ms/);
    expect(await claimsNvenc.locator('.check.failed').getAttribute('title')).toMatch(/encoder_mismatch · encode [\d.]+ ms/);
    await page.close();
  });
}, 120_000);
