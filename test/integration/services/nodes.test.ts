/** Edge nodes registering, heartbeating and expiring, over real HTTP, on each store backend. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorResponse, NodeList, NodeRegistered } from '../../../protocol/http.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { nodeIdForPublicKey } from '../../../services/registry/node-id.js';
import { useBackends } from './helpers/backends.js';
import { api } from './helpers/http.js';
import { expectSlotsBalanced } from './helpers/invariants.js';
import { pollUntil } from './helpers/poll.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const backends = useBackends();

describe.each(backends)('nodes ($name store)', (backend) => {
  let controlPlane: ControlPlane;
  let node: TestEdgeNode;

  beforeEach(async () => {
    controlPlane = await createControlPlane({ store: backend.store(), logger: { level: 'silent' }, nodeTtlMs: 60_000 });
    node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken);
  });

  afterEach(async () => {
    await expectSlotsBalanced(controlPlane);
    await controlPlane.close();
  });

  async function listedNodeIds(): Promise<string[]> {
    return (await api<NodeList>(controlPlane.url, '/v1/nodes')).body.nodes.map((listed) => listed.nodeId);
  }

  describe('registration', () => {
    it('registers a node under an id derived from its key and returns the ticket key', async () => {
      const { status, body } = await node.register();
      expect(status).toBe(200);
      expect(body.nodeId).toBe(nodeIdForPublicKey(node.publicKey));
      expect(body).toMatchObject({ heartbeatIntervalMs: 2_000, nodeTtlMs: 60_000, ticketIssuer: 'edgeplay-control-plane' });
      expect(body.ticketPublicJwk).toEqual(controlPlane.ticketPublicJwk);
      expect(body.ticketPublicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });

      const { body: list } = await api<NodeList>(controlPlane.url, '/v1/nodes', { token: controlPlane.operatorToken });
      expect(list.nodes).toEqual([
        expect.objectContaining({ nodeId: body.nodeId, name: 'test-rig', slots: 2, freeSlots: 2, reservedSlots: 0, busySlots: 0 }),
      ]);
    });

    it('re-registers the same key idempotently, refreshing the record', async () => {
      const first = await node.register();
      node.registration.name = 'renamed-rig';
      const second = await node.register();
      expect(second.status).toBe(200);
      expect(second.body.nodeId).toBe(first.body.nodeId);
      const { body: list } = await api<NodeList>(controlPlane.url, '/v1/nodes');
      expect(list.nodes.map((listed) => listed.name)).toEqual(['renamed-rig']);
    });

    it('refuses registration without a valid operator token', async () => {
      const missing = await api<ErrorResponse>(controlPlane.url, '/v1/nodes/register', { body: node.signedRegistration() });
      expect(missing.status).toBe(401);
      expect(missing.body.error.code).toBe('UNAUTHORIZED');
      const wrong = await api<ErrorResponse>(controlPlane.url, '/v1/nodes/register', { body: node.signedRegistration(), token: 'not-the-token' });
      expect(wrong.status).toBe(401);
      expect(await listedNodeIds()).toEqual([]);
    });

    it('refuses to let another operator take over a node, live or not, without its key', async () => {
      const shared = await createControlPlane({
        store: backend.store(),
        logger: { level: 'silent' },
        operatorTokens: ['operator-a-token', 'operator-b-token'],
      });
      try {
        const first = new TestEdgeNode(shared.url, 'operator-a-token');
        const captured = first.signedRegistration();
        expect((await first.register(captured)).status).toBe(200);
        const asOperatorB = (body: unknown) => api<ErrorResponse>(shared.url, '/v1/nodes/register', { body, token: 'operator-b-token' });

        // A registration seen in transit, replayed by another operator: the node is live under its own.
        const replayed = await asOperatorB(captured);
        expect(replayed.status).toBe(403);
        expect(replayed.body.error.code).toBe('FORBIDDEN');
        // Pointing its players elsewhere needs a new signature, which only the key's holder can make.
        const redirected = await asOperatorB({ ...captured, payload: { ...captured.payload, signallingUrl: 'http://attacker.example/' } });
        expect(redirected.status).toBe(401);
        expect(redirected.body.error.code).toBe('SIGNATURE_INVALID');
        const ownKey = new TestEdgeNode(shared.url, 'operator-b-token', { publicKey: first.publicKey, signallingUrl: 'http://attacker.example/' });
        expect((await asOperatorB(ownKey.signedRegistration())).body.error.code).toBe('SIGNATURE_INVALID');

        const { body: list } = await api<NodeList>(shared.url, '/v1/nodes', { token: 'operator-a-token' });
        expect(list.nodes.map((listed) => listed.signallingUrl)).toEqual(['http://127.0.0.1:7000/']);
      } finally {
        await shared.close();
      }
    });

    it('refuses a registration sent far from the control plane clock with 400 REGISTRATION_CLOCK_SKEW', async () => {
      for (const sentAt of [Date.now() - 120_000, Date.now() + 120_000]) {
        const response = await node.register(node.signedRegistration({ sentAt }));
        expect(response.status).toBe(400);
        expect((response.body as unknown as ErrorResponse).error.code).toBe('REGISTRATION_CLOCK_SKEW');
      }
      expect(await listedNodeIds()).toEqual([]);
    });

    it('answers a malformed registration with 400 VALIDATION_FAILED and the schema errors', async () => {
      const response = await api<ErrorResponse>(controlPlane.url, '/v1/nodes/register', {
        body: { ...node.signedRegistration(), payload: { ...node.registration, sentAt: Date.now(), slots: 0, extra: true } },
        token: controlPlane.operatorToken,
      });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.details).toMatchObject({ part: 'body', errors: [expect.objectContaining({ keyword: expect.any(String) })] });
    });
  });

  describe('heartbeats', () => {
    beforeEach(async () => {
      expect((await node.register()).status).toBe(200);
    });

    it('accepts a signed heartbeat with a higher sequence number', async () => {
      const response = await node.sendHeartbeat(node.heartbeat({ seq: 1 }));
      expect(response).toMatchObject({ status: 200, body: { nodeId: node.nodeId, seq: 1 } });
      expect((await node.sendHeartbeat(node.heartbeat({ seq: 2 }))).status).toBe(200);
    });

    it('refuses a forged signature with 401 HEARTBEAT_SIGNATURE_INVALID', async () => {
      const forger = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken);
      forger.nodeId = node.nodeId;
      const response = await node.sendHeartbeat(forger.heartbeat());
      expect(response.status).toBe(401);
      expect((response.body as ErrorResponse).error.code).toBe('HEARTBEAT_SIGNATURE_INVALID');

      const signed = node.heartbeat();
      const tampered = { ...signed, payload: { ...signed.payload, seq: signed.payload.seq + 100 } };
      const tamperedResponse = await node.sendHeartbeat(tampered);
      expect(tamperedResponse.status).toBe(401);
      expect((tamperedResponse.body as ErrorResponse).error.code).toBe('HEARTBEAT_SIGNATURE_INVALID');
    });

    it('refuses a replayed sequence number with 409 HEARTBEAT_REPLAYED', async () => {
      const heartbeat = node.heartbeat({ seq: 5 });
      expect((await node.sendHeartbeat(heartbeat)).status).toBe(200);
      const replay = await node.sendHeartbeat(heartbeat);
      expect(replay.status).toBe(409);
      expect((replay.body as ErrorResponse).error.code).toBe('HEARTBEAT_REPLAYED');
      const older = await node.sendHeartbeat(node.heartbeat({ seq: 4 }));
      expect(older.status).toBe(409);
    });

    it('refuses a heartbeat whose clock is far off with 400 HEARTBEAT_CLOCK_SKEW', async () => {
      const response = await node.sendHeartbeat(node.heartbeat({ sentAt: Date.now() - 5 * 60_000 }));
      expect(response.status).toBe(400);
      expect((response.body as ErrorResponse).error.code).toBe('HEARTBEAT_CLOCK_SKEW');
    });

    it('answers a malformed heartbeat with 400 VALIDATION_FAILED', async () => {
      const signed = node.heartbeat();
      for (const body of [{ payload: signed.payload }, { ...signed, payload: { ...signed.payload, seq: -1 } }, { ...signed, extra: 1 }]) {
        const response = await node.sendHeartbeat(body);
        expect(response.status).toBe(400);
        expect((response.body as ErrorResponse).error.code).toBe('VALIDATION_FAILED');
        expect((response.body as ErrorResponse).error.details).toMatchObject({ part: 'body' });
      }
      const notJson = await api<ErrorResponse>(controlPlane.url, `/v1/nodes/${node.nodeId}/heartbeat`, { rawBody: '{"payload":' });
      expect(notJson.status).toBe(400);
      expect(notJson.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('refuses a heartbeat whose payload names another node', async () => {
      const response = await node.sendHeartbeat(node.heartbeat({ nodeId: 'nsomeoneelse' }));
      expect(response.status).toBe(400);
      expect((response.body as ErrorResponse).error.code).toBe('VALIDATION_FAILED');
    });

    it('answers a heartbeat for an unknown node with 404 NODE_NOT_FOUND', async () => {
      const stranger = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken);
      stranger.nodeId = nodeIdForPublicKey(stranger.publicKey);
      const response = await stranger.sendHeartbeat();
      expect(response.status).toBe(404);
      expect((response.body as ErrorResponse).error.code).toBe('NODE_NOT_FOUND');
    });
  });

  describe('expiry', () => {
    it('drops a node that stops heartbeating once its TTL passes, and takes it back when it registers again', async () => {
      const shortLived = await createControlPlane({ store: backend.store(), logger: { level: 'silent' }, nodeTtlMs: 1_000 });
      try {
        const rig = new TestEdgeNode(shortLived.url, shortLived.operatorToken);
        const registered = await rig.register();
        expect(registered.body.nodeTtlMs).toBe(1_000);
        const listed = async () => (await api<NodeList>(shortLived.url, '/v1/nodes')).body.nodes.map((listedNode) => listedNode.nodeId);
        expect(await listed()).toContain(rig.nodeId);
        // The control plane keeps the key from registration and heartbeats: the late heartbeat below is checked with it, not refused for want of it.
        expect((await rig.sendHeartbeat()).status).toBe(200);

        await pollUntil(listed, (nodeIds) => !nodeIds.includes(rig.nodeId));
        const late = await rig.sendHeartbeat();
        expect(late.status).toBe(404);
        expect((late.body as ErrorResponse).error.code).toBe('NODE_NOT_FOUND');

        expect((await rig.register()).status).toBe(200);
        expect(await listed()).toContain(rig.nodeId);
        await expectSlotsBalanced(shortLived);
      } finally {
        await shortLived.close();
      }
    });
  });

  it('lists no nodes before any registers', async () => {
    expect(await listedNodeIds()).toEqual([]);
    const registered: NodeRegistered = (await node.register()).body;
    expect(await listedNodeIds()).toEqual([registered.nodeId]);
  });
});
