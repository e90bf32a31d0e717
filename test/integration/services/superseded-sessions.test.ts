/**
 * A player cannot keep two sessions by failing over from a node that still streams to them
 * (issue 15): naming the node in `excludeNodes` ends their session there (`superseded`), the
 * node's next heartbeat is told to end it, and reconciliation never brings back a session whose
 * player has moved on. Nobody can end another player's session so. Real HTTP, signed heartbeats
 * and registrations, on each store backend.
 */
import { describe, expect, it } from 'vitest';
import type { HeartbeatAck, NodeRegistered, SessionView } from '../../../protocol/http.js';
import type { PlacementOffer, PlacementResult } from '../../../protocol/placement.js';
import { useBackends } from './helpers/backends.js';
import { useLiveControlPlanes } from './helpers/live-control-planes.js';
import { api } from './helpers/http.js';
import { BERLIN, TestPlayer } from './helpers/players.js';
import type { TestEdgeNode } from './helpers/test-edge-node.js';

const backends = useBackends();

type Placed = Extract<PlacementResult, { state: 'placed' }>;

describe.each(backends)('superseded sessions ($name store)', (backend) => {
  const { start, liveNode } = useLiveControlPlanes(backend);

  /** The player placed on `node` (the lowest RTT) and streaming there. */
  async function streamingOn(player: TestPlayer, node: TestEdgeNode, other: TestEdgeNode): Promise<string> {
    const { result } = await player.place({ [node.nodeId]: 5, [other.nodeId]: 50 });
    const { sessionId, nodeId } = (result as Placed).session;
    expect(nodeId).toBe(node.nodeId);
    expect((await node.reportStart(sessionId)).status).toBe(200);
    return sessionId;
  }

  async function failOver(player: TestPlayer, from: TestEdgeNode, to: TestEdgeNode): Promise<string> {
    const { status, body } = await api<PlacementOffer>(player.baseUrl, '/v1/placements', {
      body: { gameId: 'demo-arena', location: BERLIN, excludeNodes: [from.nodeId] },
      token: player.guest.token,
    });
    expect(status, JSON.stringify(body)).toBe(201);
    const chosen = await player.choose(body.placementId, [{ nodeId: to.nodeId, rttMs: 5 }]);
    return (chosen.body as Placed).session.sessionId;
  }

  async function view(player: TestPlayer, sessionId: string): Promise<SessionView> {
    return (await api<SessionView>(player.baseUrl, `/v1/sessions/${sessionId}`, { token: player.guest.token })).body;
  }

  it('ends the session on a node the player fails over from, and has that node end it if it still streams', async () => {
    const controlPlane = await start();
    const first = await liveNode(controlPlane, 7311);
    const second = await liveNode(controlPlane, 7312);
    const player = await TestPlayer.join(controlPlane.url);
    const old = await streamingOn(player, first, second);

    const replacement = await failOver(player, first, second);
    expect(await view(player, old)).toMatchObject({ state: 'ended', endReason: 'superseded' });
    expect(await controlPlane.store.nodeSlots(first.nodeId)).toMatchObject({ busy: 0, free: 1 });

    // The first node was not dead after all: its heartbeat still lists the old session.
    const beat = await first.sendHeartbeat(first.heartbeat({ activeSessions: [old] }));
    expect(beat.status).toBe(200);
    expect((beat.body as HeartbeatAck).endSessions).toEqual([old]);
    expect(await view(player, old)).toMatchObject({ state: 'ended', endReason: 'superseded' });
    expect(await controlPlane.store.nodeSlots(first.nodeId)).toMatchObject({ busy: 0, free: 1 });

    // The node ends it as told: its report records the usage, and the reason stands.
    expect((await first.reportEnd(old)).status).toBe(200);
    const record = await controlPlane.store.getSession(old);
    expect(record).toMatchObject({ state: 'ended', endReason: 'superseded' });
    expect(record?.usage?.framesSent).toBe(3600);
    expect(await view(player, replacement)).toMatchObject({ state: 'reserved', nodeId: second.nodeId });
    expect((await second.reportEnd(replacement)).status).toBe(200);
  });

  it('does not bring back a session the control plane ended once its player has been placed elsewhere', async () => {
    const controlPlane = await start();
    const first = await liveNode(controlPlane, 7313);
    const second = await liveNode(controlPlane, 7314);
    const player = await TestPlayer.join(controlPlane.url);
    const old = await streamingOn(player, first, second);

    // The first node registers again without the session (it restarted): the session ends node_lost...
    expect((await first.register(first.signedRegistration({ activeSessions: [] }))).status).toBe(200);
    expect(await view(player, old)).toMatchObject({ state: 'ended', endReason: 'node_lost' });
    // ...and its player starts another one.
    const { result } = await player.place({ [second.nodeId]: 5 });
    const replacement = (result as Placed).session.sessionId;
    expect((await second.reportStart(replacement)).status).toBe(200);

    // Then the node claims the old session after all, by heartbeat and by registration: it must end it.
    const beat = await first.sendHeartbeat(first.heartbeat({ activeSessions: [old] }));
    expect((beat.body as HeartbeatAck).endSessions).toEqual([old]);
    const registered = await first.register(first.signedRegistration({ activeSessions: [old] }));
    expect((registered.body as NodeRegistered).endSessions).toEqual([old]);
    expect(await view(player, old)).toMatchObject({ state: 'ended', endReason: 'node_lost' });
    expect(await controlPlane.store.nodeSlots(first.nodeId)).toMatchObject({ busy: 0, free: 1 });
    expect((await second.reportEnd(replacement)).status).toBe(200);
  });

  it("cannot be used to end another player's session", async () => {
    const controlPlane = await start();
    const first = await liveNode(controlPlane, 7315);
    const second = await liveNode(controlPlane, 7316);
    const victim = await TestPlayer.join(controlPlane.url);
    const attacker = await TestPlayer.join(controlPlane.url);
    const victimSession = await streamingOn(victim, first, second);

    const attackerSession = await failOver(attacker, first, second);
    expect(await view(victim, victimSession)).toMatchObject({ state: 'active' });
    const beat = await first.sendHeartbeat(first.heartbeat({ activeSessions: [victimSession] }));
    expect((beat.body as HeartbeatAck).endSessions).toBeUndefined();
    expect(await controlPlane.store.nodeSlots(first.nodeId)).toMatchObject({ busy: 1, free: 0 });
    expect((await first.reportEnd(victimSession)).status).toBe(200);
    expect((await second.reportEnd(attackerSession)).status).toBe(200);
  });
});
