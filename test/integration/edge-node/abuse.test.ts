/**
 * A node under attack keeps streaming to its honest player: a real page plays in Chromium while
 * other clients flood the node with forged joins, set up transports and channels in a loop, send
 * requests too fast, and join and vanish. Each abuse is refused or contained with a code, the
 * page's frames keep coming, and under the heaviest abuse its frame rate stays near its rate without.
 */
import pino from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../../infra/local/system.js';
import type { Ack } from '../../../protocol/signalling.js';
import { DEFAULT_CONNECTION_LIMITS } from '../../../edge-node/signalling/connection-guard.js';
import { DEFAULT_SESSION_CAPS } from '../../../edge-node/session/session-caps.js';
import { createSession, nodeSlots } from '../../support/api.js';
import { launchBrowser, type Browser } from '../../support/browser.js';
import { loadForgedJoinFlood } from '../../support/forged-join-flood-process.js';
import { connectSignalling } from '../../support/signalling-client.js';

const logger = pino({ level: 'silent' });
const errorCode = (ack: Ack<unknown>): string | undefined => (ack.ok ? undefined : ack.error.code);
/** Attackers come from another loopback address than the honest page, as they would from another host. */
const ATTACKER_ADDRESS = '127.0.0.2';
/** The share of its undisturbed frame rate the honest player must keep while the node is flooded. */
const MIN_FPS_RATIO = 0.7;

/** Frames the page has presented (requestVideoFrameCallback's count), and when (page clock). */
const presented = (page: Page): Promise<{ frames: number; at: number }> =>
  page.evaluate(() => ({ frames: window.edgeplay?.snapshot()?.framesPresented ?? 0, at: performance.now() }));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The page's frame rate, and the CPU this process (the node's) spent a second, with the abuse off
 * and on, in alternating windows: the machine is shared, and interleaving lets its drifting load
 * weigh on both alike. CPU time is what the node itself pays, whatever else the machine runs.
 */
async function interleaved(page: Page, abuse: (on: boolean) => void, rounds = 4, windowMs = 1_500): Promise<Record<'quiet' | 'abused', { fps: number; cpuShare: number }>> {
  const totals = { quiet: { frames: 0, ms: 0, cpuMs: 0 }, abused: { frames: 0, ms: 0, cpuMs: 0 } };
  for (let round = 0; round < rounds; round++) {
    for (const on of [false, true]) {
      abuse(on);
      const start = await presented(page);
      const cpu = process.cpuUsage();
      await sleep(windowMs);
      const used = process.cpuUsage(cpu);
      const end = await presented(page);
      const total = on ? totals.abused : totals.quiet;
      total.frames += end.frames - start.frames;
      total.ms += end.at - start.at;
      total.cpuMs += (used.user + used.system) / 1000;
    }
  }
  abuse(false);
  const rates = ({ frames, ms, cpuMs }: { frames: number; ms: number; cpuMs: number }) => ({ fps: (frames * 1000) / ms, cpuShare: cpuMs / ms });
  return { quiet: rates(totals.quiet), abused: rates(totals.abused) };
}

/** Runs `abuse` while checking every second that the page presented new frames: the stream never stalls. */
async function expectFramesKeepArriving<T>(page: Page, abuse: Promise<T>): Promise<T> {
  let done = false;
  const watching = (async () => {
    let last = (await presented(page)).frames;
    while (!done) {
      await sleep(1_000);
      const now = (await presented(page)).frames;
      expect(now, 'the honest page presented no frame for a second').toBeGreaterThan(last);
      last = now;
    }
  })();
  try {
    return await abuse;
  } finally {
    done = true;
    await watching;
  }
}

describe('an edge node under attack', () => {
  let system: LocalSystem;
  let browser: Browser;
  let honest: Page;

  beforeAll(async () => {
    system = await startLocalSystem({ logger, nodes: [{ name: 'target', slots: 3, mediaConnectTimeoutMs: 8_000 }] });
    browser = await launchBrowser();
    honest = await browser.context.newPage();
    await honest.goto(`${system.url}/`);
    await honest.locator('[data-game-id="demo-arena"]').getByRole('button', { name: 'Play' }).click();
    // Past the start, while the encoder and the page's decoder settle.
    await honest.waitForFunction(() => (window.edgeplay?.snapshot()?.framesPresented ?? 0) > 300, null, { timeout: 45_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await system?.close();
  });

  const node = () => system.nodes[0]!;
  const slots = () => nodeSlots(system.url, node().nodeId, system.controlPlane.operatorToken);

  // Longer than the default: the attacker's process loads tsx on a shared machine, then the page is watched for twelve seconds.
  it('checks forged tickets from one address only until its failures are spent, and the honest stream keeps its rate', { timeout: 60_000 }, async () => {
    const real = await createSession(system.url);
    const attacker = await loadForgedJoinFlood(real.signallingUrl, real.ticket, ATTACKER_ADDRESS, 50);
    const fps = await interleaved(honest, (on) => attacker.flood(on));
    const flood = await attacker.end();
    expect(fps.abused.fps, JSON.stringify(fps)).toBeGreaterThan(fps.quiet.fps * MIN_FPS_RATIO);

    // Only the address's budget of failures ever reached the signature check; the rest were refused unchecked.
    expect(flood.answers['TICKET_INVALID'] ?? 0).toBeLessThanOrEqual(DEFAULT_CONNECTION_LIMITS.failedJoinsPerWindow);
    expect(flood.answers['JOINED']).toBeUndefined();
    // It tried hard: hundreds of connections, nearly all hung up on before any join.
    expect(flood.sent + flood.refusedConnections).toBeGreaterThan(500);
    expect((flood.answers['JOIN_RATE_LIMITED'] ?? 0) + flood.refusedConnections).toBeGreaterThan(flood.answers['TICKET_INVALID'] ?? 0);

    // The honest page's address is untouched, and so is the session the forgeries imitated.
    const owner = await connectSignalling(real.signallingUrl);
    expect((await owner.request('session:join', { ticket: real.ticket })).ok).toBe(true);
    owner.close();
  });

  it('caps what one session sets up, answers misuse of mediasoup with VALIDATION_FAILED, and cuts a connection that floods', async () => {
    const session = await createSession(system.url);
    const player = await connectSignalling(session.signallingUrl);
    expect((await player.request('session:join', { ticket: session.ticket })).ok).toBe(true);

    const { created, codes, wrongAlgorithm, first, twice, channels } = await expectFramesKeepArriving(honest, (async () => {
      const created: string[] = [];
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < DEFAULT_SESSION_CAPS.transports + 3; i++) {
        const ack = await player.request('transport:create', { direction: i % 2 === 0 ? 'send' : 'recv' });
        if (ack.ok) created.push((ack.data as { id: string }).id);
        codes.push(errorCode(ack));
      }
      const dtls = (algorithm: string) => ({ role: 'client', fingerprints: [{ algorithm, value: `${'AB:'.repeat(31)}AB` }] });
      const connect = (algorithm: string) => player.request('transport:connect', { transportId: created[0], dtlsParameters: dtls(algorithm) });
      const wrongAlgorithm = errorCode(await connect('md5'));
      const first = errorCode(await connect('sha-256'));
      const twice = errorCode(await connect('sha-256'));
      const channels: (string | undefined)[] = [];
      for (let streamId = 1; streamId <= DEFAULT_SESSION_CAPS.dataChannels + 1; streamId++) {
        channels.push(errorCode(await player.request('input:produce', { transportId: created[0], sctpStreamParameters: { streamId }, label: 'input' })));
      }
      return { created, codes, wrongAlgorithm, first, twice, channels };
    })());

    expect(created).toHaveLength(DEFAULT_SESSION_CAPS.transports);
    expect(codes.slice(DEFAULT_SESSION_CAPS.transports)).toEqual(['SESSION_RESOURCE_LIMIT', 'SESSION_RESOURCE_LIMIT', 'SESSION_RESOURCE_LIMIT']);
    expect([wrongAlgorithm, first, twice]).toEqual(['VALIDATION_FAILED', undefined, 'VALIDATION_FAILED']);
    expect(channels).toEqual([...Array<undefined>(DEFAULT_SESSION_CAPS.dataChannels).fill(undefined), 'SESSION_RESOURCE_LIMIT']);

    // Requests far faster than any page sends them: the connection is cut, and its session ends with it.
    const disconnected = new Promise((resolve) => player.socket.once('disconnect', resolve));
    const untyped = player.socket as unknown as { emit(event: string, payload: unknown, ack?: () => void): void };
    for (let i = 0; i < DEFAULT_CONNECTION_LIMITS.eventBurst * 3; i++) untyped.emit('video:pace', { shiftMs: 1 }, () => {});
    await disconnected;
    await expect.poll(() => node().sessions.has(session.sessionId), { timeout: 10_000 }).toBe(false);
  });

  it('ends the session of a player who leaves before the join is answered, or never connects the video, and frees the slot', async () => {
    await expect.poll(slots, { timeout: 15_000 }).toMatchObject({ busySlots: 1, reservedSlots: 0 });

    const leaving = await createSession(system.url);
    const quitter = await connectSignalling(leaving.signallingUrl);
    (quitter.socket as unknown as { emit(event: string, payload: unknown, ack: () => void): void }).emit('session:join', { ticket: leaving.ticket }, () => {});
    // Gone while the node checks the ticket or starts the game.
    await new Promise((resolve) => setTimeout(resolve, 50));
    quitter.close();

    const silent = await createSession(system.url);
    const lurker = await connectSignalling(silent.signallingUrl);
    expect((await lurker.request('session:join', { ticket: silent.ticket })).ok).toBe(true);

    const recorded = (sessionId: string) => system.controlPlane.store.getSession(sessionId);
    await expect.poll(async () => (await recorded(leaving.sessionId))?.state, { timeout: 15_000 }).toBe('ended');
    expect((await recorded(leaving.sessionId))?.endReason).toBe('player_left');
    expect(node().sessions.has(leaving.sessionId)).toBe(false);
    await expect.poll(async () => (await recorded(silent.sessionId))?.endReason, { timeout: 15_000 }).toBe('media_failed');
    await expect.poll(slots, { timeout: 15_000 }).toMatchObject({ busySlots: 1, reservedSlots: 0, freeSlots: 2 });
    lurker.close();

    // Through all of it, the honest player's session ran on.
    expect(await honest.evaluate(() => window.edgeplay?.snapshot()?.ended ?? null)).toBeNull();
  });
});
