/**
 * Operator accounts over real HTTP, on each store backend: the admin creates accounts, operators
 * join nodes with their own tokens, and expired or revoked tokens, closed accounts, revoked node
 * keys and operators reaching into each other's accounts are refused with their codes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ErrorResponse, NodeList } from '../../../protocol/http.js';
import type { NodeKeyRevoked, OperatorCreated, OperatorTokenIssued, OperatorView } from '../../../protocol/operators.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { useBackends } from './helpers/backends.js';
import { api } from './helpers/http.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const backends = useBackends();

describe.each(backends)('operator accounts ($name store)', (backend) => {
  let controlPlane: ControlPlane;

  beforeEach(async () => {
    controlPlane = await createControlPlane({ store: backend.store(), logger: { level: 'silent' }, nodeTtlMs: 60_000 });
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await controlPlane.close();
  });

  async function createOperator(name: string): Promise<OperatorCreated> {
    const response = await api<OperatorCreated>(controlPlane.url, '/v1/operators', { body: { name }, token: controlPlane.adminToken });
    expect(response.status).toBe(201);
    return response.body;
  }

  function errorCode(response: { body: unknown }): string {
    return (response.body as ErrorResponse).error.code;
  }

  it('creates an account whose token registers nodes under its operator id', async () => {
    const operator = await createOperator('Rig Farm GmbH');
    expect(operator.token.token).toMatch(/^ept_[0-9a-f]{16}\./);
    const node = new TestEdgeNode(controlPlane.url, operator.token.token);
    expect((await node.register()).status).toBe(200);
    expect((await controlPlane.store.getNode(node.nodeId))?.operatorId).toBe(operator.operatorId);

    // The account's view lists its tokens without their secrets.
    const view = await api<OperatorView>(controlPlane.url, `/v1/operators/${operator.operatorId}`, { token: operator.token.token });
    expect(view.status).toBe(200);
    expect(view.body.tokens).toEqual([{ tokenId: operator.token.tokenId, createdAt: operator.token.createdAt, expiresAt: operator.token.expiresAt }]);
    expect(JSON.stringify(view.body)).not.toContain(operator.token.token.split('.')[1]);
  });

  it('only the admin creates and closes accounts', async () => {
    const operator = await createOperator('first');
    for (const token of [undefined, 'not-a-token', operator.token.token, controlPlane.operatorToken]) {
      const response = await api(controlPlane.url, '/v1/operators', { body: { name: 'sneaky' }, ...(token === undefined ? {} : { token }) });
      expect(response.status).toBe(401);
      expect(errorCode(response)).toBe('ADMIN_TOKEN_INVALID');
    }
    const close = await api(controlPlane.url, `/v1/operators/${operator.operatorId}`, { method: 'DELETE', token: operator.token.token });
    expect(errorCode(close)).toBe('ADMIN_TOKEN_INVALID');
    const malformed = await api(controlPlane.url, '/v1/operators', { body: { name: '' }, token: controlPlane.adminToken });
    expect(malformed.status).toBe(400);
  });

  it('refuses a revoked token with OPERATOR_TOKEN_REVOKED while the account’s other tokens work', async () => {
    const operator = await createOperator('rotating');
    const second = await api<OperatorTokenIssued>(controlPlane.url, `/v1/operators/${operator.operatorId}/tokens`, { body: { ttlDays: 30 }, token: operator.token.token });
    expect(second.status).toBe(201);
    const revoked = await api(controlPlane.url, `/v1/operators/${operator.operatorId}/tokens/${operator.token.tokenId}`, { method: 'DELETE', token: second.body.token });
    expect(revoked).toMatchObject({ status: 200, body: { tokenId: operator.token.tokenId, revokedAt: expect.any(Number) } });

    const withRevoked = await new TestEdgeNode(controlPlane.url, operator.token.token).register();
    expect(withRevoked.status).toBe(401);
    expect(errorCode(withRevoked)).toBe('OPERATOR_TOKEN_REVOKED');
    expect((await new TestEdgeNode(controlPlane.url, second.body.token).register()).status).toBe(200);
  });

  it('refuses an expired token with OPERATOR_TOKEN_EXPIRED', async () => {
    const operator = await createOperator('forgetful');
    const node = new TestEdgeNode(controlPlane.url, operator.token.token);
    const later = operator.token.expiresAt + 1_000;
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() - operator.token.createdAt + later);
    const response = await node.register();
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe('OPERATOR_TOKEN_EXPIRED');
  });

  it('refuses a forged account token, and every token of a closed account', async () => {
    const operator = await createOperator('closing');
    const forged = `${operator.token.token.slice(0, -4)}AAAA`;
    const forgedResponse = await new TestEdgeNode(controlPlane.url, forged).register();
    expect(forgedResponse.status).toBe(401);
    expect(errorCode(forgedResponse)).toBe('UNAUTHORIZED');

    const closed = await api<OperatorView>(controlPlane.url, `/v1/operators/${operator.operatorId}`, { method: 'DELETE', token: controlPlane.adminToken });
    expect(closed.body.closedAt).toEqual(expect.any(Number));
    const response = await new TestEdgeNode(controlPlane.url, operator.token.token).register();
    expect(response.status).toBe(403);
    expect(errorCode(response)).toBe('OPERATOR_CLOSED');
  });

  it('keeps operators out of each other’s accounts and nodes', async () => {
    const alice = await createOperator('alice');
    const mallory = await createOperator('mallory');
    const aliceNode = new TestEdgeNode(controlPlane.url, alice.token.token);
    expect((await aliceNode.register()).status).toBe(200);

    const peek = await api(controlPlane.url, `/v1/operators/${alice.operatorId}`, { token: mallory.token.token });
    expect(peek.status).toBe(403);
    const mint = await api(controlPlane.url, `/v1/operators/${alice.operatorId}/tokens`, { body: {}, token: mallory.token.token });
    expect(mint.status).toBe(403);
    const revokeTheirs = await api(controlPlane.url, `/v1/operators/${alice.operatorId}/tokens/${alice.token.tokenId}`, { method: 'DELETE', token: mallory.token.token });
    expect(errorCode(revokeTheirs)).toBe('FORBIDDEN');
    // Through her own account, Mallory cannot revoke Alice's node either.
    const lockOut = await api(controlPlane.url, `/v1/operators/${mallory.operatorId}/nodes/${aliceNode.nodeId}/revoke`, { body: {}, token: mallory.token.token });
    expect(lockOut.status).toBe(403);
    expect(errorCode(lockOut)).toBe('NODE_NOT_OWNED');
    expect((await aliceNode.sendHeartbeat()).status).toBe(200);
  });

  it('revokes a node key: the node leaves placement, and its heartbeats and registrations get NODE_KEY_REVOKED', async () => {
    const operator = await createOperator('careful');
    const node = new TestEdgeNode(controlPlane.url, operator.token.token);
    expect((await node.register()).status).toBe(200);
    expect((await node.sendHeartbeat()).status).toBe(200);

    const revoked = await api<NodeKeyRevoked>(controlPlane.url, `/v1/operators/${operator.operatorId}/nodes/${node.nodeId}/revoke`, { body: {}, token: operator.token.token });
    expect(revoked).toMatchObject({ status: 200, body: { nodeId: node.nodeId, operatorId: operator.operatorId } });
    const { body: list } = await api<NodeList>(controlPlane.url, '/v1/nodes');
    expect(list.nodes.map((listed) => listed.nodeId)).not.toContain(node.nodeId);

    const heartbeat = await node.sendHeartbeat();
    expect(heartbeat.status).toBe(403);
    expect(errorCode(heartbeat)).toBe('NODE_KEY_REVOKED');
    const again = await node.register();
    expect(again.status).toBe(403);
    expect(errorCode(again)).toBe('NODE_KEY_REVOKED');
  });

  it('keeps the static --operator-token working beside the accounts', async () => {
    const node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken);
    expect((await node.register()).status).toBe(200);
  });
});
