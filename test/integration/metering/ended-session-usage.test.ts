/**
 * A player's usage record for a session the control plane already ended (its player failed over
 * from it: `superseded`; its node came back without it: `node_lost`) is still accepted and settles
 * the session: the operator is paid for what the player did watch there. Each session of a
 * failover has its own usage key: one session's key signs nothing for another. Real HTTP, signed
 * registrations and reports, on each store backend.
 */
import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../../protocol/http.js';
import type { ControlPlane } from '../../../services/app.js';
import { useBackends } from '../services/helpers/backends.js';
import { api } from '../services/helpers/http.js';
import { errorCode } from '../services/helpers/players.js';
import { useLiveControlPlanes } from '../services/helpers/live-control-planes.js';
import { MeteredPlayer, nodeEndReport } from './helpers.js';

const backends = useBackends();

describe.each(backends)("usage records of sessions ended by a failover ($name store)", (backend) => {
  const { start, liveNode } = useLiveControlPlanes(backend);

  async function endReason(controlPlane: ControlPlane, sessionId: string): Promise<SessionView['endReason']> {
    return (await controlPlane.store.getSession(sessionId))?.endReason;
  }

  it('accepts and credits the record of a superseded session, signed with that session\'s own key, once', async () => {
    const controlPlane = await start();
    const first = await liveNode(controlPlane, 7411);
    const second = await liveNode(controlPlane, 7412);
    const player = await MeteredPlayer.join(controlPlane.url);
    const old = await player.place(first);
    expect((await first.reportStart(old.sessionId)).status).toBe(200);

    const failedOver = await player.withNewKey();
    const replacement = await failedOver.place(second, 'demo-arena', [first.nodeId]);
    expect(replacement.nodeId).toBe(second.nodeId);
    expect(await endReason(controlPlane, old.sessionId)).toBe('superseded');

    const record = await player.signer.sign(player.usage(old, { secondsWatched: 40, framesReceived: 2390, framesDecoded: 2380 }));
    expect((await player.report(old.sessionId, record)).body).toMatchObject({ sessionId: old.sessionId, outcome: 'appended' });
    // Sent again (its answer was lost on the way, say): it counts once.
    expect((await player.report(old.sessionId, record)).body).toMatchObject({ outcome: 'duplicate' });
    // The old session's key cannot sign for the new one, nor the new key for the old.
    expect(errorCode(await player.reportUsage(replacement))).toBe('USAGE_SIGNATURE_INVALID');
    expect(errorCode(await failedOver.reportUsage(old))).toBe('USAGE_SIGNATURE_INVALID');

    // The node, told to end it, reports what it streamed until then.
    expect((await first.reportEnd(old.sessionId, nodeEndReport(first, old.sessionId, 42, 2480))).status).toBe(200);
    expect(await endReason(controlPlane, old.sessionId)).toBe('superseded');
    const settlement = await api<{ settlements: { sessionId: string; status: string; creditedSeconds: number; amount: number }[] }>(controlPlane.url, '/v1/operators/me/earnings', { token: controlPlane.operatorToken });
    const settled = settlement.body.settlements.find((each) => each.sessionId === old.sessionId);
    expect(settled).toMatchObject({ status: 'credited', creditedSeconds: 40 });
    expect(settled!.amount).toBeGreaterThan(0);
    expect((await second.reportEnd(replacement.sessionId)).status).toBe(200);
  });

  it('accepts the record of a session that ended node_lost', async () => {
    const controlPlane = await start();
    const first = await liveNode(controlPlane, 7413);
    const player = await MeteredPlayer.join(controlPlane.url);
    const lost = await player.place(first);
    expect((await first.reportStart(lost.sessionId)).status).toBe(200);
    // The node registers again without the session (it restarted): the session ends node_lost.
    expect((await first.register(first.signedRegistration({ activeSessions: [] }))).status).toBe(200);
    expect(await endReason(controlPlane, lost.sessionId)).toBe('node_lost');

    const reported = await player.reportUsage(lost, { secondsWatched: 12 });
    expect(reported.status, JSON.stringify(reported.body)).toBe(200);
    expect(reported.body).toMatchObject({ outcome: 'appended' });
    expect((await controlPlane.ledger.session(lost.sessionId)).player?.record.payload.secondsWatched).toBe(12);
  });
});
