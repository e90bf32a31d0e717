/**
 * Two of the dishonest nodes the other suites leave open, on each store backend: one
 * operator registering many keys (from as many addresses as it likes) to win more placements, and
 * a node replaying another node's genuine usage record to be paid for its session.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EarningsStatement } from '../../../protocol/metering.js';
import type { OperatorCreated } from '../../../protocol/operators.js';
import { createControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../../services/app.js';
import { useBackends } from '../services/helpers/backends.js';
import { api } from '../services/helpers/http.js';
import { errorCode, TestPlayer } from '../services/helpers/players.js';
import { TestEdgeNode } from '../services/helpers/test-edge-node.js';
import { MeteredPlayer, nodeEndReport } from './helpers.js';

const backends = useBackends();

describe.each(backends)('dishonest nodes ($name store)', (backend) => {
  const controlPlanes: ControlPlane[] = [];
  afterEach(async () => {
    for (const controlPlane of controlPlanes.splice(0)) await controlPlane.close();
  });

  async function start(options: Partial<ControlPlaneOptions> = {}): Promise<ControlPlane> {
    const controlPlane = await createControlPlane({ store: backend.store(), logger: { level: 'silent' }, nodeTtlMs: 60_000, ...options });
    controlPlanes.push(controlPlane);
    return controlPlane;
  }

  async function operatorAccount(controlPlane: ControlPlane, name: string): Promise<string> {
    const created = await api<OperatorCreated>(controlPlane.url, '/v1/operators', { body: { name }, token: controlPlane.adminToken });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.token.token;
  }

  it('caps the node keys one operator may register, with the address cap out of the way, and never offers the refused key to players', async () => {
    // The address cap is generous here, as it is for a rig with many addresses: the operator cap is what holds.
    const controlPlane = await start({ admission: { maxNodesPerAddress: 100, maxNodesPerOperator: 2, windowMs: 60_000 } });
    const greedy = await operatorAccount(controlPlane, 'greedy');
    const keys = [0, 1, 2].map(() => new TestEdgeNode(controlPlane.url, greedy));
    expect((await keys[0]!.register()).status).toBe(200);
    expect((await keys[1]!.register()).status).toBe(200);
    const third = await keys[2]!.register();
    expect(third.status).toBe(409);
    expect(errorCode(third)).toBe('NODE_OPERATOR_LIMIT');
    // A node that registered keeps its place; another operator is not held back by this one.
    expect((await keys[0]!.register()).status).toBe(200);
    expect((await new TestEdgeNode(controlPlane.url, await operatorAccount(controlPlane, 'other')).register()).status).toBe(200);

    const player = await TestPlayer.join(controlPlane.url);
    const offered = (await player.offer()).candidates.map((candidate) => candidate.nodeId);
    expect(offered).toContain(keys[0]!.nodeId);
    expect(offered).toContain(keys[1]!.nodeId);
    expect(offered).not.toContain(keys[2]!.nodeId);
  });

  it("gains nothing by replaying another node's signed usage record", async () => {
    const controlPlane = await start();
    const honest = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { pricePerHour: 3.6 });
    const replayer = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { pricePerHour: 3.6 });
    for (const node of [honest, replayer]) expect((await node.register()).status).toBe(200);
    const player = await MeteredPlayer.join(controlPlane.url);
    const session = await player.place(honest);
    await honest.reportStart(session.sessionId);
    const record = nodeEndReport(honest, session.sessionId, 60, 3600);
    expect((await honest.reportEnd(session.sessionId, record)).status).toBe(200);

    // Under its own name the captured record names the honest node: refused.
    expect(errorCode(await replayer.reportEnd(session.sessionId, record))).toBe('VALIDATION_FAILED');
    // Re-sent as it was, it is the honest node's record again and counts once.
    const resent = await api(controlPlane.url, `/v1/nodes/${honest.nodeId}/sessions/${session.sessionId}/end`, { body: record });
    expect(resent.status).toBe(200);
    expect((await player.reportUsage(session)).status).toBe(200);

    const statement = await api<EarningsStatement>(controlPlane.url, '/v1/operators/me/earnings', { token: controlPlane.operatorToken });
    expect(statement.body).toMatchObject({ sessions: 1, creditedSeconds: 59 });
    expect(statement.body.settlements.map((s) => s.nodeId)).toEqual([honest.nodeId]);
  });
});
