/**
 * The operator page in Chromium shows a node's flagged usage records with their state: one still
 * open (paid nothing), one the admin resolved (what it paid and why), and none of the sessions
 * whose records agreed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlPlane, type ControlPlane } from '../../services/app.js';
import { repoRoot } from '../../infra/local/system.js';
import { launchBrowser, type Browser } from '../support/browser.js';
import { meteredSession, resolveFlag } from '../integration/metering/helpers.js';
import { TestEdgeNode } from '../integration/services/helpers/test-edge-node.js';

describe('operator page: flagged usage records', () => {
  let controlPlane: ControlPlane;
  let browser: Browser;
  let node: TestEdgeNode;
  const sessions: Record<'open' | 'resolved' | 'agreed', string> = { open: '', resolved: '', agreed: '' };

  beforeAll(async () => {
    controlPlane = await createControlPlane({ logger: { level: 'silent' }, webRoot: `${repoRoot}web-client/dist`, nodeTtlMs: 60_000 });
    node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { slots: 3, pricePerHour: 3.6 });
    expect((await node.register()).status).toBe(200);
    sessions.open = (await meteredSession(controlPlane.url, node, 600, 3600)).session.sessionId;
    sessions.resolved = (await meteredSession(controlPlane.url, node, 60, 20_000)).session.sessionId;
    sessions.agreed = (await meteredSession(controlPlane.url, node, 60, 3600)).session.sessionId;
    const resolved = await resolveFlag(controlPlane.url, controlPlane.adminToken, sessions.resolved, { decision: 'pay_amount', amount: 0.03, reason: 'half the frames arrived' });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await controlPlane?.close();
  });

  it('lists each flagged record with its state, and what a resolved one paid', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${controlPlane.url}/#operator`);
    await page.locator('#operator-token').fill(controlPlane.operatorToken);
    await page.getByRole('button', { name: 'Show my nodes' }).click();
    const card = page.locator(`[data-node-id="${node.nodeId}"]`);
    await card.waitFor();
    const open = card.locator(`.flagged-records tr[data-session-id="${sessions.open}"]`);
    expect(await open.getAttribute('class')).toBe('flag-flagged');
    expect(await open.textContent()).toContain('seconds_disagree');
    expect(await open.textContent()).toContain('open: not paid until resolved');
    const resolved = card.locator(`.flagged-records tr[data-session-id="${sessions.resolved}"]`);
    expect(await resolved.textContent()).toContain('frames_disagree');
    expect(await resolved.textContent()).toContain('resolved (pay amount): paid 0.0300, half the frames arrived');
    expect(await card.locator(`.flagged-records tr[data-session-id="${sessions.agreed}"]`).count()).toBe(0);
    expect(await card.textContent()).toContain('1 flagged');
    await page.close();
  });
});
