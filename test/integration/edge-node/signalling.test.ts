import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../../infra/local/system.js';
import { createSession, nodeSlots } from '../../support/api.js';
import { circularMean } from '../../../web-client/src/lib/frame-pacer.js';
import { connectSignalling } from '../../support/signalling-client.js';

const logger = pino({ level: 'silent' });
const errorCode = (ack: { ok: boolean; error?: { code: string } }): string | undefined => (ack.ok ? undefined : ack.error?.code);

describe('edge node signalling: who may join', () => {
  let system: LocalSystem;

  beforeAll(async () => {
    system = await startLocalSystem({ logger, nodes: [{ name: 'a', slots: 1 }, { name: 'b', slots: 1 }] });
  });
  afterAll(() => system?.close());

  const nodeById = (id: string) => system.nodes.find((n) => n.nodeId === id)!;

  it('accepts a valid ticket once, refuses its reuse, and frees the slot when the player disconnects', async () => {
    const session = await createSession(system.url);
    const node = nodeById(session.nodeId);
    expect(await nodeSlots(system.url, node.nodeId, system.controlPlane.operatorToken)).toMatchObject({ reservedSlots: 1, freeSlots: 0 });

    const player = await connectSignalling(session.signallingUrl);
    const joined = await player.request('session:join', { ticket: session.ticket });
    expect(joined).toMatchObject({ ok: true, data: { sessionId: session.sessionId, video: { width: 1280, height: 720, fps: 60 } } });
    await expect.poll(() => nodeSlots(system.url, node.nodeId, system.controlPlane.operatorToken)).toMatchObject({ busySlots: 1, freeSlots: 0 });

    const thief = await connectSignalling(session.signallingUrl);
    expect(errorCode(await thief.request('session:join', { ticket: session.ticket }))).toBe('TICKET_REUSED');
    thief.close();

    player.close();
    await expect.poll(() => nodeSlots(system.url, node.nodeId, system.controlPlane.operatorToken), { timeout: 10_000 }).toMatchObject({ freeSlots: 1, busySlots: 0, reservedSlots: 0 });
    expect(node.endedSessions.at(-1)).toMatchObject({ sessionId: session.sessionId, reason: 'player_left' });
  });

  it('refuses a ticket for another node, a forged one, and malformed or out-of-order requests, with codes', async () => {
    const session = await createSession(system.url);
    const other = system.nodes.find((n) => n.nodeId !== session.nodeId)!;
    const client = await connectSignalling(other.signallingUrl);
    expect(errorCode(await client.request('session:join', { ticket: session.ticket }))).toBe('TICKET_WRONG_NODE');

    const [h, p, s] = session.ticket.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, aud: other.nodeId })).toString('base64url')}.${s}`;
    expect(errorCode(await client.request('session:join', { ticket: forged }))).toBe('TICKET_INVALID');
    expect(errorCode(await client.request('session:join', {}))).toBe('VALIDATION_FAILED');
    expect(errorCode(await client.request('session:join', { ticket: 42 }))).toBe('VALIDATION_FAILED');
    expect(errorCode(await client.request('transport:create', { direction: 'recv' }))).toBe('SESSION_NOT_JOINED');
    expect(errorCode(await client.request('transport:create', { direction: 'sideways' }))).toBe('VALIDATION_FAILED');
    expect(errorCode(await client.request('audio:consume', { rtpCapabilities: { codecs: [] } }))).toBe('SESSION_NOT_JOINED');
    expect(errorCode(await client.request('audio:consume', { rtpCapabilities: 'opus' }))).toBe('VALIDATION_FAILED');
    expect(errorCode(await client.request('video:pace', { shiftMs: 2 }))).toBe('SESSION_NOT_JOINED');
    client.close();
  });

  it("takes the page's frame pacing, bounded in size and rate, and the game's frame clock moves by it", async () => {
    const session = await createSession(system.url);
    const player = await connectSignalling(session.signallingUrl);
    expect((await player.request('session:join', { ticket: session.ticket })).ok).toBe(true);
    for (const bad of [{ shiftMs: '3' }, { shiftMs: 51 }, { shiftMs: -51 }, { shiftMs: 3, more: 1 }, {}]) {
      expect(errorCode(await player.request('video:pace', bad))).toBe('VALIDATION_FAILED');
    }

    const game = [...nodeById(session.nodeId).sessions.values()][0]!.game;
    const period = 1000 / 60;
    // The phase of the frame clock: where in the period the game renders, averaged on the circle.
    const phase = (count: number): Promise<number> =>
      new Promise((resolve) => {
        const times: number[] = [];
        const onFrame = (header: { renderTimeMs: number }): void => {
          times.push(header.renderTimeMs);
          if (times.length < count) return;
          game.off('frame', onFrame);
          resolve(circularMean(times, period));
        };
        game.on('frame', onFrame);
      });
    const before = await phase(30);
    expect(await player.request('video:pace', { shiftMs: 5 })).toEqual({ ok: true, data: {} });
    expect(errorCode(await player.request('video:pace', { shiftMs: 5 }))).toBe('PACE_RATE_LIMITED');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const moved = (((await phase(30)) - before) % period + period) % period;
    expect(moved).toBeGreaterThan(2.5);
    expect(moved).toBeLessThan(7.5);
    player.close();
    await expect.poll(() => nodeSlots(system.url, session.nodeId, system.controlPlane.operatorToken), { timeout: 10_000 }).toMatchObject({ freeSlots: 1, busySlots: 0, reservedSlots: 0 });
  });
});

describe('edge node signalling: a game that crashes', () => {
  let system: LocalSystem;

  beforeAll(async () => {
    system = await startLocalSystem({
      logger,
      nodes: [
        {
          name: 'crashy',
          slots: 1,
          games: new Map([['demo-arena', { command: process.execPath, args: ['-e', 'setTimeout(() => process.exit(3), 300)'], width: 1280, height: 720, fps: 60 }]]),
        },
      ],
    });
  });
  afterAll(() => system?.close());

  it('ends the session cleanly, tells the player, and frees the slot', async () => {
    const session = await createSession(system.url);
    const player = await connectSignalling(session.signallingUrl);
    expect((await player.request('session:join', { ticket: session.ticket })).ok).toBe(true);
    expect(await player.ended).toMatchObject({ reason: 'game_crashed', code: 'GAME_CRASHED' });
    await expect.poll(() => nodeSlots(system.url, session.nodeId, system.controlPlane.operatorToken), { timeout: 10_000 }).toMatchObject({ freeSlots: 1, busySlots: 0 });
    expect(system.nodes[0]!.endedSessions.at(-1)?.reason).toBe('game_crashed');
    player.close();
  });
});

describe('edge node signalling: a ticket used too late', () => {
  let system: LocalSystem;

  beforeAll(async () => {
    system = await startLocalSystem({ logger, controlPlane: { ticketTtlS: 1 }, nodes: [{ name: 'late', slots: 1 }] });
  });
  afterAll(() => system?.close());

  it('is refused as expired', async () => {
    const session = await createSession(system.url);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, session.expiresAt - Date.now()) + 1100));
    const player = await connectSignalling(session.signallingUrl);
    expect(errorCode(await player.request('session:join', { ticket: session.ticket }))).toBe('TICKET_EXPIRED');
    player.close();
  });
});

describe('edge node signalling: idle players', () => {
  let system: LocalSystem;

  beforeAll(async () => {
    system = await startLocalSystem({ logger, nodes: [{ name: 'idle', slots: 1, idleTimeoutMs: 1500 }] });
  });
  afterAll(() => system?.close());

  it('ends a session that receives no input and frees the slot', async () => {
    const session = await createSession(system.url);
    const player = await connectSignalling(session.signallingUrl);
    expect((await player.request('session:join', { ticket: session.ticket })).ok).toBe(true);
    expect(await player.ended).toMatchObject({ reason: 'idle_timeout', code: 'SESSION_IDLE_TIMEOUT' });
    await expect.poll(() => nodeSlots(system.url, session.nodeId, system.controlPlane.operatorToken), { timeout: 10_000 }).toMatchObject({ freeSlots: 1 });
    player.close();
  });
});
