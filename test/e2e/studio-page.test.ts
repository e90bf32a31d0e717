/**
 * The studio page in Chromium against a real control plane: a studio's game with its channels,
 * its build and the node holding it, and a session with the latency its player reported; and the
 * player catalogue showing the published game with its cover.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestToken, SessionCreated } from '../../protocol/http.js';
import { createControlPlane, type ControlPlane } from '../../services/app.js';
import { repoRoot } from '../../infra/local/system.js';
import { launchBrowser, type Browser } from '../support/browser.js';
import { gameEntries, tarGz } from '../support/build-archives.js';
import { api } from '../integration/services/helpers/http.js';
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
    // A player plays comet and reports the latency it measured.
    const guest = await api<GuestToken>(controlPlane.url, '/v1/auth/guest', { body: {} });
    const session = await api<SessionCreated>(controlPlane.url, '/v1/sessions', { token: guest.body.token, body: { gameId: 'comet' } });
    expect(session.status).toBe(201);
    const report = await api(controlPlane.url, `/v1/sessions/${session.body.sessionId}/latency`, {
      method: 'PUT',
      token: guest.body.token,
      body: { p50Ms: 18.5, p95Ms: 27.25, samples: 600 },
    });
    expect(report.status).toBe(204);
    // Another player cannot report on this session.
    const stranger = await api<GuestToken>(controlPlane.url, '/v1/auth/guest', { body: {} });
    const forged = await api<{ error: { code: string } }>(controlPlane.url, `/v1/sessions/${session.body.sessionId}/latency`, {
      method: 'PUT',
      token: stranger.body.token,
      body: { p50Ms: 1, p95Ms: 1, samples: 1 },
    });
    expect(forged.body.error.code).toBe('SESSION_NOT_FOUND');
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
