/**
 * A node that recognises checks and treats them better than players: its checks look fine, but the
 * latency its own players sign for is much worse, so it is flagged and its reputation drops.
 * Check results are believed only from a configured checker's key.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckResultPayload, CheckVerdict, NodeVerification, SignedCheckResult } from '../../../protocol/checks.js';
import { rawPublicKey, signPayload } from '../../../protocol/signing.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { useBackends } from '../services/helpers/backends.js';
import { api, type ApiResponse } from '../services/helpers/http.js';
import { BERLIN, errorCode } from '../services/helpers/players.js';
import { TestEdgeNode } from '../services/helpers/test-edge-node.js';
import { MeteredPlayer, nodeEndReport } from './helpers.js';

const backends = useBackends();
const checkerKeys = generateKeyPairSync('ed25519');

describe.each(backends)('players compared with checks ($name store)', (backend) => {
  const controlPlanes: ControlPlane[] = [];
  afterEach(async () => {
    for (const controlPlane of controlPlanes.splice(0)) await controlPlane.close();
  });

  async function start(): Promise<ControlPlane> {
    const controlPlane = await createControlPlane({
      store: backend.store(),
      logger: { level: 'silent' },
      nodeTtlMs: 60_000,
      checkers: [{ checkerId: 'berlin-1', publicKey: rawPublicKey(checkerKeys.publicKey), location: BERLIN }],
    });
    controlPlanes.push(controlPlane);
    return controlPlane;
  }

  function checkResult(nodeId: string, latencyP50Ms: number, key: KeyObject = checkerKeys.privateKey, checkId = `c${Math.random().toString(36).slice(2)}`): SignedCheckResult {
    const finishedAt = Date.now();
    const payload: CheckResultPayload = {
      checkId,
      checkerId: 'berlin-1',
      nodeId,
      startedAt: finishedAt - 8_000,
      finishedAt,
      sessions: [{ sessionId: `s${checkId}`, joined: true, fps: 60, latencyP50Ms, latencyP95Ms: latencyP50Ms + 8, rttMs: 2, decodeMs: 1, width: 1280, height: 720 }],
    };
    return { payload, signature: signPayload(payload, key) };
  }

  const postCheck = (controlPlane: ControlPlane, result: SignedCheckResult): Promise<ApiResponse<CheckVerdict>> =>
    api<CheckVerdict>(controlPlane.url, '/v1/checks/results', { body: result });

  async function playersReport(controlPlane: ControlPlane, node: TestEdgeNode, latencyP50Ms: number, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const player = await MeteredPlayer.join(controlPlane.url);
      const session = await player.place(node);
      await node.reportStart(session.sessionId);
      expect((await node.reportEnd(session.sessionId, nodeEndReport(node, session.sessionId, 60, 3600))).status).toBe(200);
      expect((await player.reportUsage(session, { latencyP50Ms, latencyP95Ms: latencyP50Ms + 20 })).status).toBe(200);
    }
  }

  const verification = async (controlPlane: ControlPlane, nodeId: string): Promise<NodeVerification> =>
    (await api<NodeVerification>(controlPlane.url, `/v1/nodes/${nodeId}/verification`)).body;

  it('flags a node whose players see much worse latency than its checks, and not one whose players see the same', async () => {
    const controlPlane = await start();
    const favouring = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { slots: 4 });
    const honest = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { slots: 4 });
    for (const node of [favouring, honest]) {
      expect((await node.register()).status).toBe(200);
      for (let i = 0; i < 2; i++) expect((await postCheck(controlPlane, checkResult(node.nodeId, 12))).body).toMatchObject({ passed: true });
    }
    const trusted = (await verification(controlPlane, honest.nodeId)).reputation;

    await playersReport(controlPlane, favouring, 70, 3);
    await playersReport(controlPlane, honest, 14, 3);

    await expect.poll(async () => (await verification(controlPlane, favouring.nodeId)).flags).toEqual(['players_latency_worse']);
    const flagged = await verification(controlPlane, favouring.nodeId);
    expect(flagged).toMatchObject({ playerLatencyP50Ms: 70, checkLatencyP50Ms: 12, suspended: false });
    expect(flagged.reputation).toBeLessThan(trusted / 1.9);
    expect(await verification(controlPlane, honest.nodeId)).toMatchObject({ flags: [], reputation: trusted });
  });

  it('believes check results only from a configured checker, once per check id', async () => {
    const controlPlane = await start();
    const node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken);
    expect((await node.register()).status).toBe(200);
    // The node signing its own glowing check: not a checker's key.
    expect(errorCode(await postCheck(controlPlane, checkResult(node.nodeId, 5, node.privateKey)))).toBe('CHECKER_UNKNOWN');
    const result = checkResult(node.nodeId, 12, checkerKeys.privateKey, 'cfixed');
    expect((await postCheck(controlPlane, result)).status).toBe(201);
    expect((await postCheck(controlPlane, result)).status).toBe(201);
    expect(errorCode(await postCheck(controlPlane, checkResult(node.nodeId, 5, checkerKeys.privateKey, 'cfixed')))).toBe('CHECK_CONFLICT');
    expect(await verification(controlPlane, node.nodeId)).toMatchObject({ checksPassed: 1, checksFailed: 0 });
  });
});
