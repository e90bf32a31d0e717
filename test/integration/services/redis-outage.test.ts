/**
 * Redis down for longer than the node TTL, with its append-only file on (issue 15: the nodes' busy
 * slots were forgotten when they re-registered, so the next player was sent to a full node and got
 * SLOT_UNAVAILABLE instead of a queue place). A real redis-server, stopped and started again on its
 * port and data; the node re-registers, as a real one does on NODE_NOT_FOUND, listing its sessions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorResponse, GuestToken, SessionCreated, SessionView } from '../../../protocol/http.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { DEMO_GAME } from '../../../services/catalogue/catalogue.js';
import { startPersistentRedis, type RedisServer } from '../../support/redis.js';
import { api } from './helpers/http.js';
import { pollUntil } from './helpers/poll.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const NODE_TTL_MS = 800;

describe('Redis down for longer than the node TTL', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps the busy slot and the record of a session that ran through the outage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redis-outage-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    let redis: RedisServer = await startPersistentRedis(dir);
    cleanups.push(() => redis.stop());
    const controlPlane: ControlPlane = await createControlPlane({
      store: { redisUrl: redis.url },
      logger: { level: 'silent' },
      heartbeatIntervalMs: 200,
      nodeTtlMs: NODE_TTL_MS,
      assumedLocationForLocalClients: { lat: 52.52, lng: 13.4 },
    });
    cleanups.push(() => controlPlane.close());
    const node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { slots: 1 });
    expect((await node.register()).status).toBe(200);
    const guest = async (): Promise<GuestToken> => (await api<GuestToken>(controlPlane.url, '/v1/auth/guest', { method: 'POST' })).body;
    const player = await guest();
    const session = (await api<SessionCreated>(controlPlane.url, '/v1/sessions', { body: { gameId: DEMO_GAME.id }, token: player.token })).body;
    expect((await node.reportStart(session.sessionId)).status).toBe(200);

    await redis.stop();
    await sleep(2 * NODE_TTL_MS);
    redis = await startPersistentRedis(dir, redis.port);
    // The node's entry lapsed meanwhile: its next heartbeat is told to register again.
    const heartbeat = await pollUntil(() => node.sendHeartbeat(node.heartbeat({ activeSessions: [session.sessionId] })), (response) => response.status !== 500);
    expect(heartbeat.status).toBe(404);
    expect((await node.register(node.signedRegistration({ activeSessions: [session.sessionId] }))).status).toBe(200);

    expect(await controlPlane.store.nodeSlots(node.nodeId)).toMatchObject({ busy: 1, free: 0 });
    const view = await api<SessionView>(controlPlane.url, `/v1/sessions/${session.sessionId}`, { token: player.token });
    expect(view.body).toMatchObject({ state: 'active' });
    const next = await api<ErrorResponse>(controlPlane.url, '/v1/sessions', { body: { gameId: DEMO_GAME.id }, token: (await guest()).token });
    expect(next.body.error.code).toBe('NO_CAPACITY');
  });
});
