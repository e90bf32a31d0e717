/**
 * A node still streaming to a player who failed over from it (naming it in `excludeNodes`) is told
 * by the control plane, in a heartbeat's answer, to end that session, and does (issue 15): the
 * player cannot keep the stream they said had failed while taking a slot elsewhere. Real control
 * plane, real edge nodes, a real join.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestToken, SessionCreated } from '../../../protocol/http.js';
import type { PlacementOffer } from '../../../protocol/placement.js';
import { startLocalSystem, type LocalSystem } from '../../../infra/local/system.js';
import { nodeSlots, postJson } from '../../support/api.js';
import { connectSignalling } from '../../support/signalling-client.js';

describe('a session its player failed over from', () => {
  let system: LocalSystem;

  beforeAll(async () => {
    system = await startLocalSystem({
      logger: pino({ level: 'silent' }),
      controlPlane: { heartbeatIntervalMs: 300 },
      nodes: [
        { name: 'left', slots: 1 },
        { name: 'right', slots: 1 },
      ],
    });
  });
  afterAll(() => system?.close());

  it('is ended by its node at the control plane word, with its usage reported', async () => {
    const guest = (await postJson<GuestToken>(`${system.url}/v1/auth/guest`, {})).body;
    const created = await postJson<SessionCreated>(`${system.url}/v1/sessions`, { gameId: 'demo-arena' }, guest.token);
    expect(created.status).toBe(201);
    const { sessionId, nodeId, signallingUrl, ticket } = created.body;
    const player = await connectSignalling(signallingUrl);
    try {
      expect((await player.request('session:join', { ticket })).ok).toBe(true);
      await expect.poll(async () => (await system.controlPlane.store.getSession(sessionId))?.state, { timeout: 10_000 }).toBe('active');

      const offer = await postJson<PlacementOffer>(`${system.url}/v1/placements`, { gameId: 'demo-arena', excludeNodes: [nodeId] }, guest.token);
      expect(offer.status).toBe(201);
      expect(offer.body.candidates.map((candidate) => candidate.nodeId)).not.toContain(nodeId);

      expect(await player.ended).toMatchObject({ reason: 'superseded' });
      await expect.poll(async () => (await system.controlPlane.store.getSession(sessionId))?.usage, { timeout: 10_000 }).toBeDefined();
      expect(await system.controlPlane.store.getSession(sessionId)).toMatchObject({ state: 'ended', endReason: 'superseded' });
      expect(await nodeSlots(system.url, nodeId, system.controlPlane.operatorToken)).toMatchObject({ busySlots: 0, freeSlots: 1 });
    } finally {
      player.close();
    }
  });
});
