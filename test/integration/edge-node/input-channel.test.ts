import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../../infra/local/system.js';
import { createSession } from '../../support/api.js';
import { connectSignalling, type TestSignallingClient } from '../../support/signalling-client.js';
import type { StreamSession } from '../../../edge-node/session/stream-session.js';

/**
 * Input reaches the game through the real mediasoup data path (a DataProducer on the session's
 * router, consumed on the node), as a player's data channel would deliver it.
 */
describe('input data channel', () => {
  let system: LocalSystem;
  let player: TestSignallingClient;
  let session: StreamSession;
  let send: (message: string) => void;
  let lastFrameSeq = 0;

  beforeAll(async () => {
    system = await startLocalSystem({ logger: pino({ level: 'silent' }), nodes: [{ name: 'input', slots: 1, latencyStrip: true }] });
    const created = await createSession(system.url);
    player = await connectSignalling(created.signallingUrl);
    expect((await player.request('session:join', { ticket: created.ticket })).ok).toBe(true);
    session = system.nodes[0]!.sessions.get(created.sessionId)!;
    session.game.on('frame', (header) => (lastFrameSeq = header.inputSeq));
    const transport = await session.router.createDirectTransport();
    const dataProducer = await transport.produceData({ label: 'input' });
    await session.attachInput(dataProducer);
    send = (message) => dataProducer.send(message);
  });
  afterAll(async () => {
    player?.close();
    await system?.close();
  });

  it('delivers valid events to the game, which stamps its frames with the last applied sequence number', async () => {
    send(JSON.stringify({ t: 'key', seq: 7, code: 'KeyD', down: true }));
    send(JSON.stringify({ t: 'key', seq: 8, code: 'KeyD', down: false }));
    await expect.poll(() => lastFrameSeq, { timeout: 10_000 }).toBe(8);
    expect(session.input.stats.accepted).toBe(2);
  });

  it('drops and counts malformed and out-of-range events without hurting the game', async () => {
    const garbage = ['{', 'null', '[]', JSON.stringify({ t: 'mmove', seq: 9, dx: 1e12, dy: 0 }), JSON.stringify({ t: 'key', seq: 9, code: '<script>', down: true }), 'x'.repeat(2000)];
    for (const message of garbage) send(message);
    send(JSON.stringify({ t: 'mmove', seq: 10, dx: 5, dy: -5 }));
    await expect.poll(() => lastFrameSeq, { timeout: 10_000 }).toBe(10);
    expect(session.input.stats).toMatchObject({ malformed: 1, invalid: 4, tooLarge: 1 });
    expect(session.ended).toBe(false);
  });

  it('rate-limits a flood, and input flows again afterwards', async () => {
    for (let i = 0; i < 3000; i++) send(JSON.stringify({ t: 'mmove', seq: 11, dx: 1, dy: 0 }));
    await expect.poll(() => session.input.stats.rateLimited, { timeout: 10_000 }).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    send(JSON.stringify({ t: 'key', seq: 5000, code: 'Space', down: true }));
    await expect.poll(() => lastFrameSeq, { timeout: 10_000 }).toBe(5000);
    expect(session.ended).toBe(false);
  });
});
