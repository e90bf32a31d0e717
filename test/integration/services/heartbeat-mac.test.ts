/**
 * Heartbeats MAC'd with the per-node key agreed at the signed registration: accepted cheaply, and
 * forged, tampered, replayed or borrowed (another node's key) ones refused with their codes, on
 * each store backend; instances sharing a store verify each other's nodes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateHeartbeatKey } from '../../../protocol/heartbeat-mac.js';
import type { ErrorResponse, NodeList } from '../../../protocol/http.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { useBackends } from './helpers/backends.js';
import { api, type ApiResponse } from './helpers/http.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const backends = useBackends();

function errorCode(response: ApiResponse): string {
  return (response.body as ErrorResponse).error.code;
}

describe.each(backends)('heartbeat MACs ($name store)', (backend) => {
  let controlPlane: ControlPlane;
  let node: TestEdgeNode;

  beforeEach(async () => {
    controlPlane = await createControlPlane({ store: backend.store(), logger: { level: 'silent' }, nodeTtlMs: 60_000 });
    node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken);
    expect((await node.register()).status).toBe(200);
  });

  afterEach(async () => {
    await controlPlane.close();
  });

  it('gives each node its own key at registration and accepts its MAC’d heartbeats', async () => {
    const other = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken);
    await other.register();
    expect(node.heartbeatKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(other.heartbeatKey).not.toBe(node.heartbeatKey);
    const response = await node.sendHeartbeat(node.macHeartbeat({ seq: 1 }));
    expect(response).toMatchObject({ status: 200, body: { nodeId: node.nodeId, seq: 1 } });
    // Signed heartbeats keep working beside them.
    expect((await node.sendHeartbeat(node.heartbeat({ seq: 2 }))).status).toBe(200);
    // The key is a secret between the node and the control plane.
    const { body: list } = await api<NodeList>(controlPlane.url, '/v1/nodes');
    expect(JSON.stringify(list)).not.toContain(node.heartbeatKey);
  });

  it('refuses a forged or tampered MAC with 401 HEARTBEAT_MAC_INVALID', async () => {
    const forged = await node.sendHeartbeat(node.macHeartbeat({}, generateHeartbeatKey()));
    expect(forged.status).toBe(401);
    expect(errorCode(forged)).toBe('HEARTBEAT_MAC_INVALID');
    const honest = node.macHeartbeat();
    const tampered = await node.sendHeartbeat({ ...honest, payload: { ...honest.payload, seq: honest.payload.seq + 1_000, activeSessions: ['s1'] } });
    expect(tampered.status).toBe(401);
    expect(errorCode(tampered)).toBe('HEARTBEAT_MAC_INVALID');
  });

  it('refuses a replayed or stale MAC’d heartbeat', async () => {
    const heartbeat = node.macHeartbeat({ seq: 7 });
    expect((await node.sendHeartbeat(heartbeat)).status).toBe(200);
    const replay = await node.sendHeartbeat(heartbeat);
    expect(replay.status).toBe(409);
    expect(errorCode(replay)).toBe('HEARTBEAT_REPLAYED');
    const stale = await node.sendHeartbeat(node.macHeartbeat({ seq: 100, sentAt: Date.now() - 5 * 60_000 }));
    expect(stale.status).toBe(400);
    expect(errorCode(stale)).toBe('HEARTBEAT_CLOCK_SKEW');
  });

  it('does not let one node’s key speak for another node', async () => {
    const mallory = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken);
    await mallory.register();
    // Mallory MACs a heartbeat naming the victim with her own key: the victim's key does not verify it.
    const borrowed = await node.sendHeartbeat(mallory.macHeartbeat({ nodeId: node.nodeId, seq: 10 }));
    expect(borrowed.status).toBe(401);
    expect(errorCode(borrowed)).toBe('HEARTBEAT_MAC_INVALID');
    // Her own, honest heartbeat sent on the victim's URL names her, not the victim.
    const redirected = await node.sendHeartbeat(mallory.macHeartbeat({ seq: 11 }));
    expect(redirected.status).toBe(400);
    expect(errorCode(redirected)).toBe('VALIDATION_FAILED');
    // The victim's own sequence numbers are untouched: its next heartbeat is accepted.
    expect((await node.sendHeartbeat(node.macHeartbeat({ seq: 1 }))).status).toBe(200);
  });

  it('replaces the key when the node registers again: the old key no longer verifies', async () => {
    const oldKey = node.heartbeatKey;
    expect((await node.register()).status).toBe(200);
    expect(node.heartbeatKey).not.toBe(oldKey);
    const withOld = await node.sendHeartbeat(node.macHeartbeat({}, oldKey));
    expect(errorCode(withOld)).toBe('HEARTBEAT_MAC_INVALID');
    expect((await node.sendHeartbeat(node.macHeartbeat())).status).toBe(200);
  });

  if (backend.name !== 'memory') {
    it('verifies on any instance sharing the store, and follows a key replaced through another instance', async () => {
      const shared = backend.store();
      const first = await createControlPlane({ store: shared, logger: { level: 'silent' }, nodeTtlMs: 60_000, operatorTokens: ['ept_shared'] });
      const second = await createControlPlane({ store: shared, logger: { level: 'silent' }, nodeTtlMs: 60_000, operatorTokens: ['ept_shared'] });
      try {
        const rig = new TestEdgeNode(first.url, 'ept_shared');
        expect((await rig.register()).status).toBe(200);
        const viaSecond = (body: unknown) => api(second.url, `/v1/nodes/${rig.nodeId}/heartbeat`, { body });
        expect((await viaSecond(rig.macHeartbeat())).status).toBe(200);
        const oldKey = rig.heartbeatKey;
        expect((await rig.register()).status).toBe(200);
        expect((await viaSecond(rig.macHeartbeat())).status).toBe(200);
        expect(errorCode(await viaSecond(rig.macHeartbeat({}, oldKey)))).toBe('HEARTBEAT_MAC_INVALID');
      } finally {
        await first.close();
        await second.close();
      }
    });
  }
});
