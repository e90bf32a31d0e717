/**
 * The studio page's session latency comes only from the player's signed usage record: the old
 * unsigned report is gone, a stranger cannot sign figures onto someone else's session, and the
 * first signed record stands — on the embedded store and on redis-server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StudioOverview, StudioSessionView } from '../../../protocol/studio.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { gameEntries, tarGz } from '../../support/build-archives.js';
import { MeteredPlayer } from '../metering/helpers.js';
import { useBackends } from './helpers/backends.js';
import { api } from './helpers/http.js';
import { errorCode } from './helpers/players.js';
import { signUp, upload, writeArchive } from './helpers/studio.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const backends = useBackends(['memory', 'redis']);

describe.each(backends)('studio session latency ($name store)', (backend) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('shows the latency of the signed record only, and nothing a stranger sends', async () => {
    const work = await mkdtemp(join(tmpdir(), 'edgeplay-studio-latency-'));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    const controlPlane: ControlPlane = await createControlPlane({ logger: { level: 'silent' }, store: backend.store(), dataDir: work });
    cleanups.push(() => controlPlane.close());
    const studio = await signUp(controlPlane.url, 'Latency Studio');
    const buildId = await upload(controlPlane.url, studio.key, await writeArchive(work, 'comet.tar.gz', tarGz(gameEntries({ id: 'comet', title: 'Comet' }))));
    expect((await api(controlPlane.url, '/v1/studio/games/comet/versions/1.0.0/publish', { token: studio.key, body: {} })).status).toBe(200);
    const node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { builds: [buildId] });
    expect((await node.register()).status).toBe(200);
    const player = await MeteredPlayer.join(controlPlane.url);
    const session = await player.place(node, 'comet');
    const sessionView = async (): Promise<StudioSessionView | undefined> => {
      const overview = await api<StudioOverview>(controlPlane.url, '/v1/studio', { token: studio.key });
      expect(overview.status).toBe(200);
      return overview.body.sessions.find((s) => s.sessionId === session.sessionId);
    };
    expect(await sessionView()).toMatchObject({ sessionId: session.sessionId });
    expect((await sessionView())?.latency).toBeUndefined();

    const unsigned = await api(controlPlane.url, `/v1/sessions/${session.sessionId}/latency`, { method: 'PUT', token: player.player.guest.token, body: { p50Ms: 1, p95Ms: 1, samples: 1 } });
    expect(unsigned.status).toBe(404);
    const stranger = await MeteredPlayer.join(controlPlane.url);
    const forged = await stranger.report(session.sessionId, await stranger.signer.sign(player.usage(session, { latencyP50Ms: 1, latencyP95Ms: 2 })));
    expect(errorCode(forged)).toBe('SESSION_NOT_FOUND');
    // The player's own record, but not signed with the key bound at placement.
    const wrongKey = await player.report(session.sessionId, await stranger.signer.sign(player.usage(session, { latencyP50Ms: 1, latencyP95Ms: 2 })));
    expect(errorCode(wrongKey)).toBe('USAGE_SIGNATURE_INVALID');
    expect((await sessionView())?.latency).toBeUndefined();

    expect((await player.reportUsage(session, { latencyP50Ms: 18.5, latencyP95Ms: 27.25 })).status).toBe(200);
    expect((await sessionView())?.latency).toEqual({ p50Ms: 18.5, p95Ms: 27.25 });
    // A second, different record from the same player does not rewrite the figures.
    expect(errorCode(await player.reportUsage(session, { latencyP50Ms: 2, latencyP95Ms: 3 }))).toBe('USAGE_RECORD_CONFLICT');
    expect((await sessionView())?.latency).toEqual({ p50Ms: 18.5, p95Ms: 27.25 });
  });
});
