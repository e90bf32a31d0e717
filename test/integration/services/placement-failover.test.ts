/**
 * What a page failing over, or giving up, asks of the placement API (issue 15): an offer that
 * leaves out the node a session just died on, and a DELETE of a placed placement that frees its
 * slot at once. Real HTTP on each store backend.
 */
import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../../protocol/http.js';
import type { PlacementOffer, PlacementResult } from '../../../protocol/placement.js';
import { useBackends } from './helpers/backends.js';
import { useLiveControlPlanes } from './helpers/live-control-planes.js';
import { api } from './helpers/http.js';
import { BERLIN, errorCode, TestPlayer } from './helpers/players.js';

const backends = useBackends();

type Placed = Extract<PlacementResult, { state: 'placed' }>;

describe.each(backends)('placement failover ($name store)', (backend) => {
  const { start, liveNode } = useLiveControlPlanes(backend);

  it('leaves the nodes the page asks to exclude out of the offer, and out of the placement', async () => {
    const controlPlane = await start();
    const dead = await liveNode(controlPlane, 7301);
    const alive = await liveNode(controlPlane, 7302);
    const player = await TestPlayer.join(controlPlane.url);
    const { status, body } = await api<PlacementOffer>(controlPlane.url, '/v1/placements', {
      body: { gameId: 'demo-arena', location: BERLIN, excludeNodes: [dead.nodeId] },
      token: player.guest.token,
    });
    expect(status).toBe(201);
    expect(body.candidates.map((candidate) => candidate.nodeId)).toEqual([alive.nodeId]);
    const chosen = await player.choose(body.placementId, [{ nodeId: alive.nodeId, rttMs: 5 }]);
    expect((chosen.body as Placed).session.nodeId).toBe(alive.nodeId);
  });

  it('lets a player whose node failed be placed again at once, while that node has not expired yet', async () => {
    const controlPlane = await start();
    const dead = await liveNode(controlPlane, 7305);
    const alive = await liveNode(controlPlane, 7306);
    const player = await TestPlayer.join(controlPlane.url);
    const { result } = await player.place({ [dead.nodeId]: 5, [alive.nodeId]: 50 });
    expect((result as Placed).session.nodeId).toBe(dead.nodeId);
    expect((await dead.reportStart((result as Placed).session.sessionId)).status).toBe(200);

    // Without naming the failed node, the session there still holds the player.
    expect(errorCode(await player.requestOffer())).toBe('SESSION_IN_PROGRESS');
    const { status, body } = await api<PlacementOffer>(controlPlane.url, '/v1/placements', {
      body: { gameId: 'demo-arena', location: BERLIN, excludeNodes: [dead.nodeId] },
      token: player.guest.token,
    });
    expect(status).toBe(201);
    const chosen = await player.choose(body.placementId, [{ nodeId: alive.nodeId, rttMs: 5 }]);
    expect((chosen.body as Placed).session.nodeId).toBe(alive.nodeId);
    expect((await dead.reportEnd((result as Placed).session.sessionId)).status).toBe(200);
  });

  it('refuses an exclusion list that is not a short list of node ids', async () => {
    const controlPlane = await start();
    const player = await TestPlayer.join(controlPlane.url);
    for (const excludeNodes of ['n1', Array.from({ length: 9 }, (_, i) => `n${i}`), ['../etc']]) {
      const { status } = await api(controlPlane.url, '/v1/placements', { body: { gameId: 'demo-arena', location: BERLIN, excludeNodes }, token: player.guest.token });
      expect(status).toBe(400);
    }
  });

  it('frees the slot of a placed placement at once on DELETE, while the player has not joined', async () => {
    const controlPlane = await start();
    const node = await liveNode(controlPlane, 7303);
    const player = await TestPlayer.join(controlPlane.url);
    const { offer, result } = await player.place({ [node.nodeId]: 5 });
    const { session } = result as Placed;
    expect(await controlPlane.store.nodeSlots(node.nodeId)).toMatchObject({ reserved: 1, free: 0 });

    expect((await player.cancel(offer.placementId)).status).toBe(204);
    expect(await controlPlane.store.nodeSlots(node.nodeId)).toMatchObject({ reserved: 0, free: 1 });
    const view = await api<SessionView>(controlPlane.url, `/v1/sessions/${session.sessionId}`, { token: player.guest.token });
    expect(view.body).toMatchObject({ state: 'ended', endReason: 'ticket_unused' });
    const next = await TestPlayer.join(controlPlane.url);
    expect((await next.place({ [node.nodeId]: 5 })).result.state).toBe('placed');
  });

  it('leaves the slot of a placed session the player has joined to the node', async () => {
    const controlPlane = await start();
    const node = await liveNode(controlPlane, 7304);
    const player = await TestPlayer.join(controlPlane.url);
    const { offer, result } = await player.place({ [node.nodeId]: 5 });
    expect((await node.reportStart((result as Placed).session.sessionId)).status).toBe(200);
    expect((await player.cancel(offer.placementId)).status).toBe(204);
    expect(await controlPlane.store.nodeSlots(node.nodeId)).toMatchObject({ busy: 1, free: 0 });
    expect((await node.reportEnd((result as Placed).session.sessionId)).status).toBe(200);
  });
});
