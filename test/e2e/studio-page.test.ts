/**
 * The studio page in Chromium against a real control plane: a studio's game with its channels,
 * its build and the node holding it, and a session with the latency from its player's signed usage
 * record (no unsigned report, and no record for someone else's session); and the player catalogue
 * showing the published game with its cover.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlPlane, type ControlPlane } from '../../services/app.js';
import { repoRoot } from '../../infra/local/system.js';
import { launchBrowser, type Browser } from '../support/browser.js';
import { gameEntries, tarGz } from '../support/build-archives.js';
import { MeteredPlayer } from '../integration/metering/helpers.js';
import { api } from '../integration/services/helpers/http.js';
import { errorCode } from '../integration/services/helpers/players.js';
import { signUp, upload, writeArchive, type TestStudio } from '../integration/services/helpers/studio.js';
import { TestEdgeNode } from '../integration/services/helpers/test-edge-node.js';

describe('studio page', () => {
  let controlPlane: ControlPlane;
  let browser: Browser;
  let work: string;
  let studio: TestStudio;
  let buildId: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgeplay-studio-page-'));
    controlPlane = await createControlPlane({ logger: { level: 'silent' }, dataDir: join(work, 'data'),
      webRoot: `${repoRoot}web-client/dist`,
      assumedLocationForLocalClients: { lat: 52.52, lng: 13.4 },
    });
    studio = await signUp(controlPlane.url, 'Page Studio');
    buildId = await upload(controlPlane.url, studio.key, await writeArchive(work, 'comet.tar.gz', tarGz(gameEntries({ id: 'comet', title: 'Comet' }))));
    await api(controlPlane.url, '/v1/studio/games/comet/versions/1.0.0/publish', { token: studio.key, body: {} });
    const node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { name: 'rig-with-comet', builds: [buildId] });
    await node.register();
    // A player plays comet; its page signs the latency it measured into its usage record.
    const player = await MeteredPlayer.join(controlPlane.url);
    const session = await player.place(node, 'comet');
    // The unsigned latency report is gone: the signed usage record is the only way in.
    const unsigned = await api(controlPlane.url, `/v1/sessions/${session.sessionId}/latency`, { method: 'PUT', token: player.player.guest.token, body: { p50Ms: 1, p95Ms: 1, samples: 1 } });
    expect(unsigned.status).toBe(404);
    // Another player cannot put figures on this session, even signed with a key of their own.
    const stranger = await MeteredPlayer.join(controlPlane.url);
    const forged = await stranger.report(session.sessionId, await stranger.signer.sign(player.usage(session, { latencyP50Ms: 1, latencyP95Ms: 1 })));
    expect(errorCode(forged)).toBe('SESSION_NOT_FOUND');
    const signed = await player.reportUsage(session, { latencyP50Ms: 18.5, latencyP95Ms: 27.25 });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await controlPlane?.close();
    await rm(work, { recursive: true, force: true });
  });

  it("shows the studio's games, channels, builds, nodes and sessions with latency", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${controlPlane.url}/studio.html`);
    await page.fill('#studio-key', studio.key);
    await page.click('button[type=submit]');
    await page.waitForSelector('#studio-view:not([hidden])');
    expect(await page.textContent('#studio-name')).toBe('Page Studio');
    expect(await page.textContent('#studio-games')).toContain('stable → 1.0.0');
    const builds = await page.textContent('#studio-builds');
    expect(builds).toContain(buildId.slice(0, 16));
    expect(builds).toContain('rig-with-comet');
    expect(await page.textContent('#studio-sessions')).toContain('18.5 / 27.3 ms');
    await page.close();
  });

  it('refuses a wrong key with its message', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${controlPlane.url}/studio.html`);
    await page.fill('#studio-key', 'eps_wrong');
    await page.click('button[type=submit]');
    await page.waitForSelector('#message:not([hidden])');
    expect(await page.textContent('#message')).toContain('API_KEY_INVALID');
    await page.close();
  });

  it('shows the published game with its cover in the player catalogue', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${controlPlane.url}/`);
    const cover = await page.waitForSelector('[data-game-id=comet] img.cover');
    expect(await cover.evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth)).toBe(1);
    await page.close();
  });
});
