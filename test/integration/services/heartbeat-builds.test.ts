/**
 * Heartbeats that report a node's cached builds, on each store backend: a MAC'd heartbeat's list
 * replaces what the registration said, in the node's record and in what placement searches see,
 * without a new registration (the heartbeat key stays); a heartbeat without one changes nothing;
 * nobody can report builds for another node, or alter a node's list on the wire.
 */
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HEARTBEAT_CHANNEL_PATH, type HeartbeatChannelReply } from '../../../protocol/heartbeat-channel.js';
import { MAX_REPORTED_BUILDS, type ErrorResponse, type GameManifest } from '../../../protocol/http.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { findCandidates } from '../../../services/matchmaker/candidate-search.js';
import { useBackends } from './helpers/backends.js';
import type { ApiResponse } from './helpers/http.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const backends = useBackends();
const REGISTERED = 'a'.repeat(64);
const FETCHED = 'b'.repeat(64);
const OTHER = 'c'.repeat(64);
const BERLIN = { lat: 52.52, lng: 13.4 };
const MANIFEST: GameManifest = { runtime: 'frames', entry: 'game', width: 640, height: 480, fps: 60, inputs: ['keyboard'] };

function errorCode(response: ApiResponse): string {
  return (response.body as ErrorResponse).error.code;
}

describe.each(backends)('builds in heartbeats ($name store)', (backend) => {
  let controlPlane: ControlPlane;
  let node: TestEdgeNode;

  /** What the node's record says it holds, and whether a placement search near it sees `buildId` cached there. */
  async function seen(nodeId: string, buildId: string): Promise<{ builds: string[] | undefined; searchSeesCached: boolean | undefined; summarySeesCached: boolean | undefined }> {
    const { store } = controlPlane;
    const [record, nearby, [summary]] = await Promise.all([
      store.getNode(nodeId),
      findCandidates(store, { location: BERLIN, game: { buildId, manifest: MANIFEST }, k: 8 }),
      store.nodeSummaries([nodeId], buildId),
    ]);
    return {
      builds: record?.builds,
      searchSeesCached: nearby.available.find((found) => found.nodeId === nodeId)?.buildCached,
      summarySeesCached: summary?.buildCached,
    };
  }

  beforeEach(async () => {
    controlPlane = await createControlPlane({ store: backend.store(), logger: { level: 'silent' }, nodeTtlMs: 60_000 });
    node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { location: BERLIN, builds: [REGISTERED] });
    expect((await node.register()).status).toBe(200);
  });

  afterEach(async () => {
    await controlPlane.close();
  });

  it('replaces the cached builds with a heartbeat’s list, where placement looks, without registering again', async () => {
    const { heartbeatKey } = (await controlPlane.store.getNode(node.nodeId))!;
    expect(await seen(node.nodeId, FETCHED)).toMatchObject({ builds: [REGISTERED], summarySeesCached: false });

    expect((await node.sendHeartbeat(node.macHeartbeat({ builds: [REGISTERED, FETCHED] }))).status).toBe(200);
    expect((await controlPlane.store.getNode(node.nodeId))?.builds).toEqual([REGISTERED, FETCHED]);
    await expect.poll(() => seen(node.nodeId, FETCHED)).toEqual({ builds: [REGISTERED, FETCHED], searchSeesCached: true, summarySeesCached: true });

    // A steady-state heartbeat lists none and changes nothing.
    expect((await node.sendHeartbeat(node.macHeartbeat())).status).toBe(200);
    expect(await seen(node.nodeId, FETCHED)).toEqual({ builds: [REGISTERED, FETCHED], searchSeesCached: true, summarySeesCached: true });

    // An eviction: the list is the whole set, so a build left out is gone.
    expect((await node.sendHeartbeat(node.macHeartbeat({ builds: [FETCHED] }))).status).toBe(200);
    await expect.poll(() => seen(node.nodeId, REGISTERED)).toEqual({ builds: [FETCHED], searchSeesCached: false, summarySeesCached: false });
    expect((await node.sendHeartbeat(node.macHeartbeat({ builds: [] }))).status).toBe(200);
    await expect.poll(() => seen(node.nodeId, FETCHED)).toEqual({ builds: [], searchSeesCached: false, summarySeesCached: false });

    // No registration happened: the heartbeat key is the one the registration gave.
    expect((await controlPlane.store.getNode(node.nodeId))?.heartbeatKey).toBe(heartbeatKey);

    // A registration (a restart) still says what the node holds, and wins over the last heartbeat.
    expect((await node.register()).status).toBe(200);
    await expect.poll(() => seen(node.nodeId, REGISTERED)).toEqual({ builds: [REGISTERED], searchSeesCached: true, summarySeesCached: true });
  });

  it('takes builds only from the node itself: another node’s key, a redirected or tampered heartbeat are refused', async () => {
    const mallory = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { location: BERLIN });
    await mallory.register();

    // Mallory MACs a heartbeat naming the victim, claiming builds for it, with her own key.
    const borrowed = await node.sendHeartbeat(mallory.macHeartbeat({ nodeId: node.nodeId, builds: [OTHER] }));
    expect(borrowed.status).toBe(401);
    expect(errorCode(borrowed)).toBe('HEARTBEAT_MAC_INVALID');
    // Her own honest heartbeat with builds, sent on the victim's URL, names her, not the victim.
    const redirected = await node.sendHeartbeat(mallory.macHeartbeat({ builds: [OTHER] }));
    expect(redirected.status).toBe(400);
    expect(errorCode(redirected)).toBe('VALIDATION_FAILED');
    // The victim's honest heartbeat with builds added on the wire.
    const honest = node.macHeartbeat();
    const tampered = await node.sendHeartbeat({ ...honest, payload: { ...honest.payload, builds: [OTHER] } });
    expect(tampered.status).toBe(401);
    expect(errorCode(tampered)).toBe('HEARTBEAT_MAC_INVALID');

    expect(await seen(node.nodeId, OTHER)).toMatchObject({ builds: [REGISTERED], summarySeesCached: false });
    expect((await controlPlane.store.getNode(mallory.nodeId))?.builds).toEqual([]);
  });

  it('applies a heartbeat’s builds only with its acceptance: a replayed or refused one changes nothing', async () => {
    const accepted = node.macHeartbeat({ builds: [FETCHED] });
    expect((await node.sendHeartbeat(accepted)).status).toBe(200);
    // A captured heartbeat sent again (with the list it carried then) after the node reported another set.
    expect((await node.sendHeartbeat(node.macHeartbeat({ builds: [OTHER] }))).status).toBe(200);
    const replayed = await node.sendHeartbeat(accepted);
    expect(replayed.status).toBe(409);
    expect(errorCode(replayed)).toBe('HEARTBEAT_REPLAYED');
    const stale = await node.sendHeartbeat(node.macHeartbeat({ sentAt: Date.now() - 5 * 60_000, builds: [FETCHED] }));
    expect(errorCode(stale)).toBe('HEARTBEAT_CLOCK_SKEW');
    expect(await seen(node.nodeId, FETCHED)).toMatchObject({ builds: [OTHER], summarySeesCached: false });
    // Nor does a heartbeat for a node that is not live.
    expect(await controlPlane.store.acceptHeartbeat('nobody', 1, Date.now(), 60_000, [FETCHED])).toBe('unknown_node');
    expect(await controlPlane.store.getNode('nobody')).toBeNull();
  });

  it('refuses a list that is not build ids or longer than a registration’s', async () => {
    const tooMany = Array.from({ length: MAX_REPORTED_BUILDS + 1 }, (_, i) => i.toString(16).padStart(64, '0'));
    for (const builds of [tooMany, ['not-a-build']]) {
      const response = await node.sendHeartbeat(node.macHeartbeat({ builds }));
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe('VALIDATION_FAILED');
    }
    expect((await controlPlane.store.getNode(node.nodeId))?.builds).toEqual([REGISTERED]);
  });

  it('carries a full list on the heartbeat channel (WebSocket)', async () => {
    const socket = new WebSocket(`${controlPlane.url.replace('http', 'ws')}${HEARTBEAT_CHANNEL_PATH}`);
    await once(socket, 'open');
    try {
      const full = Array.from({ length: MAX_REPORTED_BUILDS }, (_, i) => i.toString(16).padStart(64, '0'));
      socket.send(JSON.stringify(node.macHeartbeat({ seq: 1, activeSessions: [], builds: full })));
      const [data] = (await once(socket, 'message')) as [Buffer];
      expect(JSON.parse(data.toString()) as HeartbeatChannelReply).toEqual({ ok: true, ack: { nodeId: node.nodeId, seq: 1 } });
      expect((await controlPlane.store.getNode(node.nodeId))?.builds).toEqual(full);
      await expect.poll(async () => (await seen(node.nodeId, full[MAX_REPORTED_BUILDS - 1]!)).searchSeesCached).toBe(true);
    } finally {
      socket.close();
    }
  });
});
