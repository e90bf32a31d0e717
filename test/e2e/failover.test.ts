/**
 * A node dies mid-game (issue 15): killed with SIGKILL, as a crash would (its connections close),
 * or frozen with SIGSTOP, as a pulled plug would (nothing closes, nothing answers). The page, real
 * Chromium on the real flow, notices, is placed on another node that excludes the dead one, and
 * streams again by itself; the control plane ends the dead node's session with a reason. The page
 * hands in a signed usage record for each session it streamed (issue 13), so a node it left is
 * still paid for what the player watched there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SITE, repoRoot } from '../../infra/local/system.js';
import { createControlPlane, type ControlPlane } from '../../services/app.js';
import type { PlayerSnapshot } from '../../web-client/src/lib/player-session.js';
import { launchBrowser, type Browser } from '../support/browser.js';
import { startEdgeNodeProcess, type EdgeNodeProcess } from '../support/edge-node-process.js';
import { pollUntil } from '../integration/services/helpers/poll.js';

const snapshot = (page: Page): Promise<PlayerSnapshot | null> => page.evaluate(() => window.edgeplay?.snapshot() ?? null);

describe('a node dying mid-game, in Chromium', () => {
  let controlPlane: ControlPlane;
  let browser: Browser;
  let keys: string;
  const nodes: EdgeNodeProcess[] = [];

  beforeAll(async () => {
    controlPlane = await createControlPlane({
      store: 'memory',
      webRoot: `${repoRoot}web-client/dist`,
      logger: { level: 'warn' },
      assumedLocationForLocalClients: LOCAL_SITE,
      heartbeatIntervalMs: 500,
      nodeTtlMs: 1_500,
    });
    keys = await mkdtemp(join(tmpdir(), 'edgeplay-failover-'));
    const started = await Promise.all(
      ['rig-a', 'rig-b', 'rig-c'].map((name) =>
        startEdgeNodeProcess({ controlPlaneUrl: controlPlane.url, operatorToken: controlPlane.operatorToken, keyPath: join(keys, `${name}.pem`), name }),
      ),
    );
    nodes.push(...started);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(nodes.map((node) => node.stop()));
    await controlPlane?.close();
    await rm(keys, { recursive: true, force: true });
  });

  it('streams again from another node by itself, and the dead node\'s session ends with a reason', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${controlPlane.url}/`);
    await page.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > 30, null, { timeout: 30_000 });
    const before = (await snapshot(page))!;
    const dead = nodes.find((node) => node.nodeId === before.nodeId)!;

    const notice = page.locator('#notice');
    const noticeShown = notice.waitFor({ state: 'visible', timeout: 10_000 });
    await dead.kill();
    await noticeShown;
    expect(await notice.textContent()).toMatch(/another one/);
    await page.waitForFunction(
      (deadId) => {
        const now = window.edgeplay?.snapshot();
        return now !== null && now !== undefined && now.nodeId !== deadId && now.firstFrameAt !== null;
      },
      dead.nodeId,
      { timeout: 20_000 },
    );
    const after = (await snapshot(page))!;
    const other = nodes.find((node) => node.nodeId === after.nodeId)!;
    expect(other).toBeDefined();
    expect(after.failedNodes).toEqual([dead.nodeId]);
    expect(after.ended).toBeNull();
    expect(after.sessionId).not.toBe(before.sessionId);
    await expect.poll(async () => (await snapshot(page))!.framesSeen, { timeout: 10_000 }).toBeGreaterThan(after.framesSeen + 30);
    expect(await notice.isHidden()).toBe(true);
    expect(await page.locator('#player').isVisible()).toBe(true);

    const lost = await pollUntil(() => controlPlane.store.getSession(before.sessionId!), (record) => record?.state === 'ended');
    // The page named the dead node as it failed over: its session there ended then, for that reason.
    expect(lost?.endReason).toBe('superseded');
    expect(await controlPlane.store.nodeSlots(other.nodeId)).toMatchObject({ busy: 1 });

    await page.close();
    await pollUntil(() => controlPlane.store.nodeSlots(other.nodeId), (slots) => slots.busy === 0 && slots.reserved === 0);
    const moved = await pollUntil(() => controlPlane.store.getSession(after.sessionId!), (record) => record?.state === 'ended');
    expect(moved?.usage?.framesSent).toBeGreaterThan(0);
  });

  it('hands in a signed usage record for each session it streamed, so the node it left is paid for what the player watched there', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${controlPlane.url}/`);
    await page.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > 60, null, { timeout: 30_000 });
    const before = (await snapshot(page))!;
    const left = nodes.find((node) => node.nodeId === before.nodeId)!;
    // Frozen, the node streams nothing and answers nothing; thawed once the page moved on, it ends
    // the session it was told it lost and reports what it streamed.
    process.kill(left.pid, 'SIGSTOP');
    try {
      await page.waitForFunction((leftId) => (window.edgeplay?.snapshot()?.nodeId ?? leftId) !== leftId, left.nodeId, { timeout: 20_000 });
    } finally {
      process.kill(left.pid, 'SIGCONT');
    }
    // Sent at failover time, with that session's own key: accepted although the control plane ended
    // the session (superseded as the page moved on, or node_lost had the node's TTL run out first).
    const first = await pollUntil(() => controlPlane.ledger.session(before.sessionId!), (session) => session.player !== null);
    expect(first.player?.record.payload).toMatchObject({ sessionId: before.sessionId, nodeId: left.nodeId });
    expect(first.player!.record.payload.secondsWatched).toBeGreaterThan(1);
    expect(first.player!.record.payload.framesDecoded).toBeGreaterThan(60);
    expect(first.binding?.usageKey).toBeDefined();
    expect((await controlPlane.store.getSession(before.sessionId!))?.endReason).toMatch(/^(superseded|node_lost)$/);

    await page.waitForFunction(() => (window.edgeplay?.snapshot()?.firstFrameAt ?? null) !== null, null, { timeout: 20_000 });
    const after = (await snapshot(page))!;
    await page.evaluate(() => window.edgeplay!.leave());
    expect(await page.evaluate(() => window.edgeplay!.usageReported())).toMatchObject({ sessionId: after.sessionId, outcome: 'appended' });
    const second = await controlPlane.ledger.session(after.sessionId!);
    expect(second.player?.record.payload.nodeId).toBe(after.nodeId);
    // Each session was bound to a key of its own.
    expect(second.binding?.usageKey).not.toEqual(first.binding?.usageKey);
    await page.close();

    // Once the thawed node reports, the operator is credited for the seconds both records agree on.
    type Earnings = { settlements: { sessionId: string; nodeId: string; status: string; creditedSeconds: number; playerSeconds: number | null }[] };
    const earnings = async (): Promise<Earnings> => (await fetch(`${controlPlane.url}/v1/operators/me/earnings`, { headers: { authorization: `Bearer ${controlPlane.operatorToken}` } })).json() as Promise<Earnings>;
    const settled = await pollUntil(
      async () => (await earnings()).settlements.find((each) => each.sessionId === before.sessionId),
      (settlement) => settlement !== undefined,
      20_000,
    );
    expect(settled).toMatchObject({ nodeId: left.nodeId, status: 'credited' });
    expect(settled!.creditedSeconds).toBeGreaterThan(1);
    expect(settled!.creditedSeconds).toBeLessThanOrEqual(first.player!.record.payload.secondsWatched);
  });

  it('moves on by itself from a node that goes silent without closing anything (a pulled plug)', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${controlPlane.url}/`);
    await page.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => (window.edgeplay?.snapshot()?.framesSeen ?? 0) > 30, null, { timeout: 30_000 });
    const before = (await snapshot(page))!;
    const frozen = nodes.find((node) => node.nodeId === before.nodeId)!;
    process.kill(frozen.pid, 'SIGSTOP');
    try {
      await page.waitForFunction(
        (frozenId) => {
          const now = window.edgeplay?.snapshot();
          return now !== null && now !== undefined && now.nodeId !== frozenId && now.firstFrameAt !== null;
        },
        frozen.nodeId,
        { timeout: 20_000 },
      );
      const after = (await snapshot(page))!;
      expect(after.failedNodes).toEqual([frozen.nodeId]);
      expect(after.ended).toBeNull();
      await expect.poll(async () => (await snapshot(page))!.framesSeen, { timeout: 10_000 }).toBeGreaterThan(after.framesSeen + 30);
    } finally {
      await frozen.kill();
      await page.close();
    }
  });
});
