/**
 * Usage records, checks and the resolutions of flagged records survive a restart: of the control
 * plane with the embedded store (its journal under the data dir), and of the control plane and
 * redis-server together (appendonly).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EarningsStatement, FlaggedRecordList } from '../../../protocol/metering.js';
import { createControlPlane, type ControlPlaneOptions } from '../../../services/app.js';
import { startRedisServer, withFreshPorts, type RedisServer } from '../../support/redis.js';
import { api } from '../services/helpers/http.js';
import { errorCode } from '../services/helpers/players.js';
import { TestEdgeNode } from '../services/helpers/test-edge-node.js';
import { MeteredPlayer, meteredSession, nodeEndReport, resolveFlag } from './helpers.js';

const OPERATOR_TOKEN = 'ept_persistence-test-operator-token';
const ADMIN_TOKEN = 'epa_persistence-test-admin-token';
const RESOLUTION = { decision: 'pay_amount', amount: 0.01, reason: 'part of the stream reached the player' };
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeplay-ledger-'));
  dirs.push(dir);
  return dir;
}

/** One metered session, both records in; returns the statement as it stood. */
async function meterOneSession(options: ControlPlaneOptions): Promise<EarningsStatement> {
  const controlPlane = await createControlPlane({ ...options, logger: { level: 'silent' }, operatorTokens: [OPERATOR_TOKEN] });
  try {
    const node = new TestEdgeNode(controlPlane.url, OPERATOR_TOKEN, { pricePerHour: 1 });
    expect((await node.register()).status).toBe(200);
    const player = await MeteredPlayer.join(controlPlane.url);
    const session = await player.place(node);
    await node.reportStart(session.sessionId);
    expect((await node.reportEnd(session.sessionId, nodeEndReport(node, session.sessionId, 60, 3600))).status).toBe(200);
    expect((await player.reportUsage(session)).status).toBe(200);
    return await statement(controlPlane.url);
  } finally {
    await controlPlane.close();
  }
}

async function statement(url: string): Promise<EarningsStatement> {
  const { status, body } = await api<EarningsStatement>(url, '/v1/operators/me/earnings', { token: OPERATOR_TOKEN });
  expect(status).toBe(200);
  return body;
}

/** A flagged session (the node over-reports minutes) resolved by the admin; returns its id. */
async function resolveOneFlag(options: ControlPlaneOptions): Promise<string> {
  const controlPlane = await createControlPlane({ ...options, logger: { level: 'silent' }, operatorTokens: [OPERATOR_TOKEN], adminTokens: [ADMIN_TOKEN] });
  try {
    const node = new TestEdgeNode(controlPlane.url, OPERATOR_TOKEN, { pricePerHour: 1 });
    expect((await node.register()).status).toBe(200);
    const { session } = await meteredSession(controlPlane.url, node, 600, 3600);
    expect((await resolveFlag(controlPlane.url, ADMIN_TOKEN, session.sessionId, RESOLUTION)).body).toMatchObject({ outcome: 'appended' });
    return session.sessionId;
  } finally {
    await controlPlane.close();
  }
}

/** After a restart the resolution still pays, a repeat still counts once and a change is still refused. */
async function expectResolutionKept(options: ControlPlaneOptions, sessionId: string): Promise<void> {
  const controlPlane = await createControlPlane({ ...options, logger: { level: 'silent' }, operatorTokens: [OPERATOR_TOKEN], adminTokens: [ADMIN_TOKEN] });
  try {
    const settlement = (await statement(controlPlane.url)).settlements.find((s) => s.sessionId === sessionId);
    expect(settlement).toMatchObject({ status: 'resolved', amount: 0.01, resolution: { decision: 'pay_amount', reason: RESOLUTION.reason } });
    expect((await resolveFlag(controlPlane.url, ADMIN_TOKEN, sessionId, RESOLUTION)).body).toMatchObject({ outcome: 'duplicate' });
    expect(errorCode(await resolveFlag(controlPlane.url, ADMIN_TOKEN, sessionId, { decision: 'pay_agreed', reason: 'again' }))).toBe('FLAG_ALREADY_RESOLVED');
    const listed = await api<FlaggedRecordList>(controlPlane.url, '/v1/admin/flagged-usage?state=resolved', { token: ADMIN_TOKEN });
    expect(listed.body.records.map((r) => r.sessionId)).toContain(sessionId);
  } finally {
    await controlPlane.close();
  }
}

async function statementAfterRestart(options: ControlPlaneOptions): Promise<EarningsStatement> {
  const controlPlane = await createControlPlane({ ...options, logger: { level: 'silent' }, operatorTokens: [OPERATOR_TOKEN] });
  try {
    return await statement(controlPlane.url);
  } finally {
    await controlPlane.close();
  }
}

describe('the ledger across restarts', () => {
  it('the embedded store replays its journal from the data dir', async () => {
    const dataDir = await tempDir();
    const before = await meterOneSession({ store: 'memory', dataDir });
    expect(before).toMatchObject({ sessions: 1, creditedSeconds: 59 });
    expect(await statementAfterRestart({ store: 'memory', dataDir })).toEqual({ ...before, to: expect.any(Number) as number, from: expect.any(Number) as number });
  });

  it('Redis with appendonly keeps the records through a restart of redis-server and the control plane', async () => {
    const dir = await tempDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    let redis: RedisServer = await withFreshPorts(() => startRedisServer(args));
    try {
      const before = await meterOneSession({ store: { redisUrl: redis.url } });
      expect(before).toMatchObject({ sessions: 1, creditedSeconds: 59 });
      await redis.stop();
      redis = await withFreshPorts(() => startRedisServer(args));
      const after = await statementAfterRestart({ store: { redisUrl: redis.url } });
      expect(after.settlements).toEqual(before.settlements);
      expect(after.amount).toBe(before.amount);
    } finally {
      await redis.stop();
    }
  });

  it('a resolution of a flagged record survives a restart of the embedded store', async () => {
    const dataDir = await tempDir();
    const sessionId = await resolveOneFlag({ store: 'memory', dataDir });
    await expectResolutionKept({ store: 'memory', dataDir }, sessionId);
  });

  it('a resolution of a flagged record survives a restart of redis-server and the control plane', async () => {
    const dir = await tempDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    let redis: RedisServer = await withFreshPorts(() => startRedisServer(args));
    try {
      const sessionId = await resolveOneFlag({ store: { redisUrl: redis.url } });
      await redis.stop();
      redis = await withFreshPorts(() => startRedisServer(args));
      await expectResolutionKept({ store: { redisUrl: redis.url } }, sessionId);
    } finally {
      await redis.stop();
    }
  });
});
