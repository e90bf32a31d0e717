/**
 * The books stay true to what nodes run (issue 15): a node killed mid-session, restarted within its
 * TTL, cut off past its TTL, a lost end report, a join just before the ticket expired. Real HTTP,
 * signed heartbeats and registrations, on each store backend.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorResponse, GuestToken, SessionCreated, SessionView } from '../../../protocol/http.js';
import { createControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../../services/app.js';
import { DEMO_GAME } from '../../../services/catalogue/catalogue.js';
import { useBackends } from './helpers/backends.js';
import { api } from './helpers/http.js';
import { expectSlotsBalanced } from './helpers/invariants.js';
import { pollUntil } from './helpers/poll.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const backends = useBackends();

describe.each(backends)('reconciliation ($name store)', (backend) => {
  const controlPlanes: ControlPlane[] = [];

  async function start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const controlPlane = await createControlPlane({
      store: backend.store(),
      logger: { level: 'silent' },
      heartbeatIntervalMs: 200,
      nodeTtlMs: 60_000,
      assumedLocationForLocalClients: { lat: 52.52, lng: 13.4 },
      ...options,
    });
    controlPlanes.push(controlPlane);
    return controlPlane;
  }

  afterEach(async () => {
    for (const controlPlane of controlPlanes.splice(0)) {
      await expectSlotsBalanced(controlPlane);
      await controlPlane.close();
    }
  });

  async function guest(controlPlane: ControlPlane): Promise<GuestToken> {
    return (await api<GuestToken>(controlPlane.url, '/v1/auth/guest', { method: 'POST' })).body;
  }

  async function liveNode(controlPlane: ControlPlane, slots = 1): Promise<TestEdgeNode> {
    const node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { slots });
    expect((await node.register()).status).toBe(200);
    return node;
  }

  async function launch(controlPlane: ControlPlane, player: GuestToken) {
    return api<SessionCreated | ErrorResponse>(controlPlane.url, '/v1/sessions', { body: { gameId: DEMO_GAME.id }, token: player.token });
  }

  /** A player placed on the (only) node, and the node reporting the game started. */
  async function playing(controlPlane: ControlPlane, node: TestEdgeNode): Promise<{ player: GuestToken; session: SessionCreated }> {
    const player = await guest(controlPlane);
    const { status, body } = await launch(controlPlane, player);
    expect(status).toBe(201);
    const session = body as SessionCreated;
    expect(session.nodeId).toBe(node.nodeId);
    expect((await node.reportStart(session.sessionId)).status).toBe(200);
    return { player, session };
  }

  async function view(controlPlane: ControlPlane, player: GuestToken, sessionId: string): Promise<SessionView> {
    return (await api<SessionView>(controlPlane.url, `/v1/sessions/${sessionId}`, { token: player.token })).body;
  }

  it('ends the session of a node killed mid-session, once the node has gone silent past its TTL', async () => {
    const controlPlane = await start({ nodeTtlMs: 2_000 });
    const node = await liveNode(controlPlane);
    const { player, session } = await playing(controlPlane, node);
    // No more heartbeats: the node was killed.
    const ended = await pollUntil(() => view(controlPlane, player, session.sessionId), (seen) => seen.state === 'ended');
    expect(ended.endReason).toBe('node_lost');
  });

  it('frees the busy slot of a node that restarted within its TTL, and ends the session it lost', async () => {
    const controlPlane = await start();
    const node = await liveNode(controlPlane);
    const { player, session } = await playing(controlPlane, node);
    expect(await controlPlane.store.nodeSlots(node.nodeId)).toMatchObject({ busy: 1, free: 0 });

    expect((await node.register(node.signedRegistration({ activeSessions: [] }))).status).toBe(200);
    expect(await controlPlane.store.nodeSlots(node.nodeId)).toMatchObject({ busy: 0, free: 1 });
    expect(await view(controlPlane, player, session.sessionId)).toMatchObject({ state: 'ended', endReason: 'node_lost' });
    expect((await launch(controlPlane, await guest(controlPlane))).status).toBe(201);
  });

  it('frees the slot of a session whose end report was lost, once two heartbeats leave it out; a late report still records its usage', async () => {
    const controlPlane = await start();
    const node = await liveNode(controlPlane);
    const { player, session } = await playing(controlPlane, node);
    expect((await node.sendHeartbeat(node.heartbeat({ activeSessions: [session.sessionId] }))).status).toBe(200);
    expect((await node.sendHeartbeat(node.heartbeat({ activeSessions: [] }))).status).toBe(200);
    expect(await controlPlane.store.nodeSlots(node.nodeId)).toMatchObject({ busy: 1 });
    expect((await node.sendHeartbeat(node.heartbeat({ activeSessions: [] }))).status).toBe(200);
    expect(await controlPlane.store.nodeSlots(node.nodeId)).toMatchObject({ busy: 0, free: 1 });
    expect(await view(controlPlane, player, session.sessionId)).toMatchObject({ state: 'ended', endReason: 'unreported' });

    expect((await node.reportEnd(session.sessionId)).status).toBe(200);
    expect(await view(controlPlane, player, session.sessionId)).toMatchObject({ state: 'ended', endReason: 'player_left' });
    const record = await controlPlane.store.getSession(session.sessionId);
    expect(record?.usage?.framesSent).toBe(3600);
  });

  it('counts busy again a session that joined just as its reservation lapsed', async () => {
    const controlPlane = await start({ reservationTtlMs: 300 });
    const node = await liveNode(controlPlane);
    const player = await guest(controlPlane);
    const session = (await launch(controlPlane, player)).body as SessionCreated;
    await pollUntil(() => controlPlane.store.nodeSlots(node.nodeId), (slots) => slots.free === 1);
    // The node accepted the ticket in its last moment; its start report comes too late.
    expect((await node.reportStart(session.sessionId)).status).toBe(409);
    expect(await view(controlPlane, player, session.sessionId)).toMatchObject({ state: 'ended', endReason: 'ticket_unused' });

    expect((await node.sendHeartbeat(node.heartbeat({ activeSessions: [session.sessionId] }))).status).toBe(200);
    expect(await controlPlane.store.nodeSlots(node.nodeId)).toMatchObject({ busy: 1, free: 0 });
    expect(await view(controlPlane, player, session.sessionId)).toMatchObject({ state: 'active' });
    expect((await launch(controlPlane, await guest(controlPlane))).status).toBe(503);
  });

  it('keeps the busy slots of a node that re-registers with its sessions after being cut off past its TTL', async () => {
    const controlPlane = await start({ nodeTtlMs: 2_000 });
    const node = await liveNode(controlPlane);
    const { player, session } = await playing(controlPlane, node);
    await pollUntil(() => controlPlane.store.getNode(node.nodeId), (found) => found === null);
    // Long enough for the control plane to give the session up, as it must for a node that never comes back.
    await pollUntil(() => view(controlPlane, player, session.sessionId), (seen) => seen.state === 'ended');

    expect((await node.register(node.signedRegistration({ activeSessions: [session.sessionId] }))).status).toBe(200);
    expect(await controlPlane.store.nodeSlots(node.nodeId)).toMatchObject({ busy: 1, free: 0 });
    expect(await view(controlPlane, player, session.sessionId)).toMatchObject({ state: 'active' });
    // The next player is told there is no room rather than sent to a full node.
    const next = await launch(controlPlane, await guest(controlPlane));
    expect(next.status).toBe(503);
    expect((next.body as ErrorResponse).error.code).toBe('NO_CAPACITY');
    expect((await node.reportEnd(session.sessionId)).status).toBe(200);
  });

  it('does not let a node claim a session placed on another node', async () => {
    const controlPlane = await start();
    const honest = await liveNode(controlPlane);
    const { player, session } = await playing(controlPlane, honest);
    const other = await liveNode(controlPlane);
    expect((await other.sendHeartbeat(other.heartbeat({ activeSessions: [session.sessionId] }))).status).toBe(200);
    expect(await controlPlane.store.nodeSlots(other.nodeId)).toMatchObject({ busy: 0, free: 1 });
    // Nor end it: leaving it out of its own heartbeats is no news about another node's session.
    await other.sendHeartbeat(other.heartbeat({ activeSessions: [] }));
    await sleep(10);
    expect(await view(controlPlane, player, session.sessionId)).toMatchObject({ state: 'active' });
    expect(await controlPlane.store.nodeSlots(honest.nodeId)).toMatchObject({ busy: 1 });
  });
});
