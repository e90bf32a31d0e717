import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../../infra/local/system.js';
import { createSession } from '../../support/api.js';
import { connectSignalling } from '../../support/signalling-client.js';

describe('a mediasoup worker that dies', () => {
  let system: LocalSystem;

  beforeAll(async () => {
    system = await startLocalSystem({ logger: pino({ level: 'silent' }), nodes: [{ name: 'phoenix', slots: 1 }] });
  });
  afterAll(() => system?.close());

  it('ends its session with a notice, and the node serves the next player on a new worker', async () => {
    const node = system.nodes[0]!;
    const first = await createSession(system.url);
    const player = await connectSignalling(first.signallingUrl);
    expect((await player.request('session:join', { ticket: first.ticket })).ok).toBe(true);

    const deadPid = node.mediaWorkerPid!;
    process.kill(deadPid, 'SIGKILL');
    expect(await player.ended).toMatchObject({ reason: 'media_failed' });
    player.close();
    await expect.poll(() => node.mediaWorkerPid, { timeout: 10_000 }).not.toBe(undefined);
    expect(node.mediaWorkerPid).not.toBe(deadPid);

    const second = await createSession(system.url);
    const next = await connectSignalling(second.signallingUrl);
    expect((await next.request('session:join', { ticket: second.ticket })).ok).toBe(true);
    next.close();
  });
});
