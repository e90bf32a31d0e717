/**
 * Metering both sides sign, over real HTTP on each store backend: agreed seconds are credited at
 * the node's price, and dishonest nodes (over-reporting, forging or replaying usage records) and
 * forged player records are caught.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EarningsStatement } from '../../../protocol/metering.js';
import { signPayload } from '../../../protocol/signing.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { UsageSigner } from '../../../web-client/src/lib/usage-signer.js';
import { useBackends } from '../services/helpers/backends.js';
import { api } from '../services/helpers/http.js';
import { errorCode } from '../services/helpers/players.js';
import { TestEdgeNode } from '../services/helpers/test-edge-node.js';
import { MeteredPlayer, nodeEndReport } from './helpers.js';

const backends = useBackends();

describe.each(backends)('metering ($name store)', (backend) => {
  const controlPlanes: ControlPlane[] = [];

  async function start(): Promise<ControlPlane> {
    const controlPlane = await createControlPlane({ store: backend.store(), logger: { level: 'silent' }, nodeTtlMs: 60_000 });
    controlPlanes.push(controlPlane);
    return controlPlane;
  }

  async function liveNode(controlPlane: ControlPlane, pricePerHour = 0.36): Promise<TestEdgeNode> {
    const node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { slots: 4, pricePerHour });
    expect((await node.register()).status).toBe(200);
    return node;
  }

  async function statement(controlPlane: ControlPlane): Promise<EarningsStatement> {
    const { status, body } = await api<EarningsStatement>(controlPlane.url, '/v1/operators/me/earnings', { token: controlPlane.operatorToken });
    expect(status).toBe(200);
    return body;
  }

  afterEach(async () => {
    for (const controlPlane of controlPlanes.splice(0)) await controlPlane.close();
  });

  it('credits the seconds both sides agree on at the node price, scaled by the quality the player got, and counts a repeated record once', async () => {
    const controlPlane = await start();
    const node = await liveNode(controlPlane);
    const player = await MeteredPlayer.join(controlPlane.url);
    const session = await player.place(node);
    expect((await node.reportStart(session.sessionId)).status).toBe(200);
    const report = nodeEndReport(node, session.sessionId, 60, 3600);
    expect((await node.reportEnd(session.sessionId, report)).status).toBe(200);
    // Before the player's record arrives nothing is paid: it is the ceiling.
    expect((await statement(controlPlane)).settlements[0]).toMatchObject({ status: 'unconfirmed', reasons: ['player_record_missing'], amount: 0 });

    const record = await player.signer.sign(player.usage(session, { secondsWatched: 58, fps: 45 }));
    const first = await player.report(session.sessionId, record);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ outcome: 'appended' });
    expect((await player.report(session.sessionId, record)).body).toMatchObject({ outcome: 'duplicate' });
    expect((await node.reportEnd(session.sessionId, report)).status).toBe(200);

    const earned = await statement(controlPlane);
    expect(earned).toMatchObject({ sessions: 1, flagged: 0, unconfirmed: 0, creditedSeconds: 58 });
    expect(earned.settlements[0]).toMatchObject({ status: 'credited', nodeSeconds: 60, playerSeconds: 58, quality: 0.75, pricePerHour: 0.36, playerLatencyP50Ms: 14 });
    expect(earned.amount).toBeCloseTo((58 / 3600) * 0.36 * 0.75, 6);
    // Another operator's token sees none of it.
    const strangers = await api(controlPlane.url, '/v1/operators/me/earnings', { token: 'ept_not-a-token' });
    expect(errorCode(strangers)).toBe('UNAUTHORIZED');
  });

  it('flags and does not pay a node that reports more minutes or frames than its player received', async () => {
    const controlPlane = await start();
    const node = await liveNode(controlPlane);
    // One session per player: two players.
    const [first, second] = [await MeteredPlayer.join(controlPlane.url), await MeteredPlayer.join(controlPlane.url)];
    const minutes = await first.place(node);
    const frames = await second.place(node);
    for (const { sessionId } of [minutes, frames]) await node.reportStart(sessionId);
    await node.reportEnd(minutes.sessionId, nodeEndReport(node, minutes.sessionId, 600, 36_000));
    await node.reportEnd(frames.sessionId, nodeEndReport(node, frames.sessionId, 60, 20_000));
    expect((await first.reportUsage(minutes)).status).toBe(200);
    expect((await second.reportUsage(frames)).status).toBe(200);

    const earned = await statement(controlPlane);
    const byId = new Map(earned.settlements.map((s) => [s.sessionId, s]));
    expect(byId.get(minutes.sessionId)).toMatchObject({ status: 'flagged', reasons: ['seconds_disagree', 'frames_disagree'], amount: 0 });
    expect(byId.get(frames.sessionId)).toMatchObject({ status: 'flagged', reasons: ['frames_disagree'], amount: 0 });
    expect(earned).toMatchObject({ flagged: 2, amount: 0 });
  });

  it('refuses a usage record forged in another node\'s name, a node\'s changed story, and a player record not signed with the bound key', async () => {
    const controlPlane = await start();
    const honest = await liveNode(controlPlane);
    const forger = await liveNode(controlPlane);
    const player = await MeteredPlayer.join(controlPlane.url);
    const session = await player.place(honest);
    await honest.reportStart(session.sessionId);

    // The forger signs a report naming the honest node: its signature is not the honest node's.
    const forged = nodeEndReport(honest, session.sessionId, 3600, 216_000);
    forged.signature = signPayload(forged.payload, forger.privateKey);
    expect(errorCode(await honest.reportEnd(session.sessionId, forged))).toBe('SIGNATURE_INVALID');
    // Under its own name it may not report on a session placed elsewhere.
    expect(errorCode(await forger.reportEnd(session.sessionId, nodeEndReport(forger, session.sessionId, 3600, 216_000)))).toBe('SESSION_NOT_FOUND');

    const report = nodeEndReport(honest, session.sessionId, 60, 3600);
    expect((await honest.reportEnd(session.sessionId, report)).status).toBe(200);
    // Replayed: counts once. Changed afterwards: the first record stands.
    expect((await honest.reportEnd(session.sessionId, report)).status).toBe(200);
    expect(errorCode(await honest.reportEnd(session.sessionId, nodeEndReport(honest, session.sessionId, 600, 36_000)))).toBe('USAGE_RECORD_CONFLICT');

    // A record signed with any other key (say, one the node made up) is refused, and the node has no player token to send one anyway.
    const impostor = await UsageSigner.create();
    const fake = await impostor.sign(player.usage(session, { secondsWatched: 600, framesReceived: 36_000 }));
    expect(errorCode(await player.report(session.sessionId, fake))).toBe('USAGE_SIGNATURE_INVALID');
    expect(errorCode(await api(controlPlane.url, `/v1/sessions/${session.sessionId}/usage`, { body: fake }))).toBe('UNAUTHORIZED');
    // Another player cannot report on this session.
    const other = await MeteredPlayer.join(controlPlane.url);
    expect(errorCode(await other.report(session.sessionId, await other.signer.sign(player.usage(session))))).toBe('SESSION_NOT_FOUND');

    expect((await player.reportUsage(session)).status).toBe(200);
    const changed = await player.reportUsage(session, { secondsWatched: 30 });
    expect(errorCode(changed)).toBe('USAGE_RECORD_CONFLICT');
    const earned = await statement(controlPlane);
    expect(earned).toMatchObject({ sessions: 1, creditedSeconds: 59 });
    expect(earned.settlements.map((s) => s.nodeId)).toEqual([honest.nodeId]);
  });

  it('caps the node keys one address may register', async () => {
    const controlPlane = await createControlPlane({
      store: backend.store(),
      logger: { level: 'silent' },
      admission: { maxNodesPerAddress: 2, maxNodesPerOperator: 10, windowMs: 60_000 },
    });
    controlPlanes.push(controlPlane);
    const rig = [0, 1, 2].map(() => new TestEdgeNode(controlPlane.url, controlPlane.operatorToken));
    expect((await rig[0]!.register()).status).toBe(200);
    expect((await rig[1]!.register()).status).toBe(200);
    expect(errorCode(await rig[2]!.register())).toBe('NODE_ADDRESS_LIMIT');
    // A node that registered keeps its place when it registers again.
    expect((await rig[0]!.register()).status).toBe(200);
  });
});
