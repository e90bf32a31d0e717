/**
 * Resolving flagged usage records over real HTTP on each store backend: the admin lists the
 * sessions whose two records disagree and resolves each once (pay what both agree on, nothing, or
 * a stated amount up to the player's record); a repeat counts once, a different second decision
 * and an amount over the ceiling are refused with their codes, and the operator's statement and
 * overview follow the resolution.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EarningsStatement, FlaggedRecordList } from '../../../protocol/metering.js';
import type { OperatorOverview } from '../../../protocol/operator-overview.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { useBackends } from '../services/helpers/backends.js';
import { api } from '../services/helpers/http.js';
import { errorCode } from '../services/helpers/players.js';
import { TestEdgeNode } from '../services/helpers/test-edge-node.js';
import { meteredSession, resolveFlag } from './helpers.js';

const backends = useBackends();
/** 0.001 a second, so a session's worth reads as its seconds. */
const PRICE_PER_HOUR = 3.6;

describe.each(backends)('resolving flagged usage ($name store)', (backend) => {
  const controlPlanes: ControlPlane[] = [];
  afterEach(async () => {
    for (const controlPlane of controlPlanes.splice(0)) await controlPlane.close();
  });

  async function start(): Promise<{ controlPlane: ControlPlane; node: TestEdgeNode }> {
    const controlPlane = await createControlPlane({ store: backend.store(), logger: { level: 'silent' }, nodeTtlMs: 60_000 });
    controlPlanes.push(controlPlane);
    const node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { slots: 4, pricePerHour: PRICE_PER_HOUR });
    expect((await node.register()).status).toBe(200);
    return { controlPlane, node };
  }

  async function flagged(controlPlane: ControlPlane, query = ''): Promise<FlaggedRecordList['records']> {
    const { status, body } = await api<FlaggedRecordList>(controlPlane.url, `/v1/admin/flagged-usage${query}`, { token: controlPlane.adminToken });
    expect(status, JSON.stringify(body)).toBe(200);
    return body.records;
  }

  it('lists flagged records for the admin only, and resolves each once in one of three ways', async () => {
    const { controlPlane, node } = await start();
    const { url, adminToken } = controlPlane;
    // The node claims ten minutes its player did not watch; then frames its player never got; then both.
    const minutes = await meteredSession(url, node, 600, 3600);
    const frames = await meteredSession(url, node, 60, 20_000);
    const both = await meteredSession(url, node, 600, 36_000);
    const honest = await meteredSession(url, node, 60, 3600);

    const open = await flagged(controlPlane);
    expect(open.map((r) => r.sessionId).sort()).toEqual([minutes, frames, both].map((s) => s.session.sessionId).sort());
    expect(open.find((r) => r.sessionId === minutes.session.sessionId)).toMatchObject({
      state: 'open',
      nodeId: node.nodeId,
      reasons: ['seconds_disagree'],
      nodeSeconds: 600,
      playerSeconds: 59,
      framesSent: 3600,
      framesReceived: 3560,
      agreedAmount: 0.059,
      ceilingAmount: 0.059,
      resolution: null,
    });
    // Nobody but the admin sees or resolves them: not the operator, not a player, not a stranger.
    expect(errorCode(await api(url, '/v1/admin/flagged-usage', { token: controlPlane.operatorToken }))).toBe('ADMIN_TOKEN_INVALID');
    expect(errorCode(await api(url, '/v1/admin/flagged-usage', {}))).toBe('ADMIN_TOKEN_INVALID');
    expect(errorCode(await resolveFlag(url, controlPlane.operatorToken, minutes.session.sessionId, { decision: 'pay_agreed', reason: 'mine' }))).toBe('ADMIN_TOKEN_INVALID');
    expect(errorCode(await resolveFlag(url, minutes.player.player.guest.token, minutes.session.sessionId, { decision: 'pay_nothing', reason: 'spite' }))).toBe('ADMIN_TOKEN_INVALID');

    // Unknown sessions, and sessions whose records agree, have nothing to resolve; malformed resolutions are refused.
    expect(errorCode(await resolveFlag(url, adminToken, 'no-such-session', { decision: 'pay_nothing', reason: 'x' }))).toBe('FLAGGED_RECORD_NOT_FOUND');
    expect(errorCode(await resolveFlag(url, adminToken, honest.session.sessionId, { decision: 'pay_nothing', reason: 'x' }))).toBe('FLAGGED_RECORD_NOT_FOUND');
    expect(errorCode(await resolveFlag(url, adminToken, frames.session.sessionId, { decision: 'pay_amount', reason: 'x' }))).toBe('VALIDATION_FAILED');
    expect(errorCode(await resolveFlag(url, adminToken, frames.session.sessionId, { decision: 'pay_agreed', reason: '' }))).toBe('VALIDATION_FAILED');
    expect(errorCode(await resolveFlag(url, adminToken, frames.session.sessionId, { decision: 'pay_all', reason: 'x' }))).toBe('VALIDATION_FAILED');

    // Pay what both agree on; sent twice it counts once; a different second decision is refused.
    const agreed = { decision: 'pay_agreed', reason: 'the player left early; the node ran on' };
    const first = await resolveFlag(url, adminToken, minutes.session.sessionId, agreed);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ outcome: 'appended', record: { state: 'resolved', resolution: { decision: 'pay_agreed', amount: 0.059, reason: agreed.reason } } });
    expect((await resolveFlag(url, adminToken, minutes.session.sessionId, agreed)).body).toMatchObject({ outcome: 'duplicate' });
    expect(errorCode(await resolveFlag(url, adminToken, minutes.session.sessionId, { decision: 'pay_nothing', reason: 'changed my mind' }))).toBe('FLAG_ALREADY_RESOLVED');
    expect(errorCode(await resolveFlag(url, adminToken, minutes.session.sessionId, { ...agreed, reason: 'another reason' }))).toBe('FLAG_ALREADY_RESOLVED');

    // A stated amount may not exceed what the player's record is worth.
    const over = await resolveFlag(url, adminToken, frames.session.sessionId, { decision: 'pay_amount', amount: 0.06, reason: 'generous' });
    expect(over.status).toBe(422);
    expect(errorCode(over)).toBe('RESOLUTION_OVER_CEILING');
    expect((await resolveFlag(url, adminToken, frames.session.sessionId, { decision: 'pay_amount', amount: 0.03, reason: 'half: the stream stuttered' })).status).toBe(200);
    expect((await resolveFlag(url, adminToken, both.session.sessionId, { decision: 'pay_nothing', reason: 'no sign of the stream' })).status).toBe(200);
    expect(await flagged(controlPlane)).toEqual([]);
    expect((await flagged(controlPlane, '?state=resolved')).map((r) => r.resolution?.decision).sort()).toEqual(['pay_agreed', 'pay_amount', 'pay_nothing']);

    // The operator's statement and page follow the resolutions.
    const statement = await api<EarningsStatement>(url, '/v1/operators/me/earnings', { token: controlPlane.operatorToken });
    expect(statement.body).toMatchObject({ sessions: 4, flagged: 0, resolved: 3 });
    const byId = new Map(statement.body.settlements.map((s) => [s.sessionId, s]));
    expect(byId.get(minutes.session.sessionId)).toMatchObject({ status: 'resolved', reasons: ['seconds_disagree'], creditedSeconds: 59, amount: 0.059 });
    expect(byId.get(frames.session.sessionId)).toMatchObject({ status: 'resolved', creditedSeconds: 30, amount: 0.03, resolution: { decision: 'pay_amount', amount: 0.03 } });
    expect(byId.get(both.session.sessionId)).toMatchObject({ status: 'resolved', creditedSeconds: 0, amount: 0, resolution: { decision: 'pay_nothing' } });
    expect(byId.get(honest.session.sessionId)).toMatchObject({ status: 'credited', amount: 0.059 });
    expect(statement.body.amount).toBeCloseTo(0.059 + 0.03 + 0.059, 6);
    const overview = await api<OperatorOverview>(url, '/v1/operators/me/overview', { token: controlPlane.operatorToken });
    const [nodeView] = overview.body.nodes;
    expect(nodeView?.flagged).toBe(0);
    expect(nodeView?.settlements.filter((s) => s.status === 'resolved')).toHaveLength(3);
  });
});
