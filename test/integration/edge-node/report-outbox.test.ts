/**
 * End reports survive a control plane that is down and a node that restarts meanwhile (issue 15:
 * the node used to give up after five tries). A real control plane on Redis, stopped and started
 * again on the same port; the node's side is its real client and outbox.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { GuestToken, NodeRegistration, SessionCreated, SessionEndPayload } from '../../../protocol/http.js';
import { ControlPlaneClient } from '../../../edge-node/control-plane/control-plane-client.js';
import { ReportOutbox } from '../../../edge-node/control-plane/report-outbox.js';
import { loadOrCreateIdentity } from '../../../edge-node/identity.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { DEMO_GAME } from '../../../services/catalogue/catalogue.js';
import { freePort } from '../../support/ports.js';
import { useBackends } from '../services/helpers/backends.js';
import { api } from '../services/helpers/http.js';
import { pollUntil } from '../services/helpers/poll.js';

const [redis] = useBackends(['redis']);
const logger = pino({ level: 'silent' });
const OPERATOR_TOKEN = 'operator-token-for-the-outbox-test-0123456789';

const registration = (publicKey: string, name: string): NodeRegistration => ({
  publicKey,
  name,
  location: { lat: 52.52, lng: 13.4 },
  gpu: { model: 'software', vramMb: 0 },
  encoders: ['h264'],
  slots: 1,
  pricePerHour: 0.1,
  signallingUrl: 'http://127.0.0.1:9/',
  builds: [],
});

describe('report outbox', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps an end report through a control-plane outage and a node restart, and delivers it once the control plane is back', async () => {
    const store = redis!.store();
    const port = await freePort();
    const startControlPlane = async (): Promise<ControlPlane> => {
      const controlPlane = await createControlPlane({ port, store, logger, operatorTokens: [OPERATOR_TOKEN], nodeTtlMs: 60_000, assumedLocationForLocalClients: { lat: 52.52, lng: 13.4 } });
      cleanups.push(() => controlPlane.close());
      return controlPlane;
    };
    const dir = await mkdtemp(join(tmpdir(), 'outbox-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));

    let controlPlane = await startControlPlane();
    const identity = await loadOrCreateIdentity(undefined);
    const client = new ControlPlaneClient(controlPlane.url, identity, logger);
    const { nodeId } = await client.register(
      OPERATOR_TOKEN,
      registration(identity.publicKey, 'outbox-rig'),
      [],
    );
    const player = (await api<GuestToken>(controlPlane.url, '/v1/auth/guest', { method: 'POST' })).body;
    const session = (await api<SessionCreated>(controlPlane.url, '/v1/sessions', { body: { gameId: DEMO_GAME.id }, token: player.token })).body;
    await client.reportStart({ nodeId, sessionId: session.sessionId, startedAt: Date.now() });

    await controlPlane.close();
    cleanups.pop();
    const report: SessionEndPayload = {
      nodeId,
      sessionId: session.sessionId,
      reason: 'player_left',
      startedAt: Date.now() - 10_000,
      endedAt: Date.now(),
      framesSent: 600,
      bytesSent: 1_000_000,
      width: 1280,
      height: 720,
    };
    const send = (payload: SessionEndPayload) => client.sendEnd(payload);
    const before = await ReportOutbox.open({ dir, send, logger, firstRetryMs: 20, maxRetryMs: 100 });
    await before.add(report);
    // Well past the five tries the node used to give up after.
    await sleep(800);
    expect(before.pending).toEqual([session.sessionId]);
    before.close();

    // The node restarts while the control plane is still down: the report is read back from disk.
    const after = await ReportOutbox.open({ dir, send, logger, firstRetryMs: 20, maxRetryMs: 100 });
    cleanups.push(async () => after.close());
    expect(after.pending).toEqual([session.sessionId]);
    controlPlane = await startControlPlane();
    await pollUntil(async () => after.pending, (pending) => pending.length === 0);
    expect(await readdir(dir)).toEqual([]);
    const record = await controlPlane.store.getSession(session.sessionId);
    expect(record).toMatchObject({ state: 'ended', endReason: 'player_left', usage: { framesSent: 600 } });
    expect(await controlPlane.store.nodeSlots(nodeId)).toMatchObject({ busy: 0, free: 1 });
  });

  it('drops a report the control plane refuses for good, and skips a file that is not a report', async () => {
    const controlPlane = await createControlPlane({ store: 'memory', logger, operatorTokens: [OPERATOR_TOKEN] });
    cleanups.push(() => controlPlane.close());
    const dir = await mkdtemp(join(tmpdir(), 'outbox-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'forged.end.json'), JSON.stringify({ sessionId: 'x', reason: 'free money' }));

    const client = new ControlPlaneClient(controlPlane.url, await loadOrCreateIdentity(undefined), logger);
    const outbox = await ReportOutbox.open({ dir, send: (payload) => client.sendEnd(payload), logger, firstRetryMs: 20 });
    cleanups.push(async () => outbox.close());
    expect(outbox.pending).toEqual([]);
    // It names another live node, whose key did not sign it: 401, which no retry changes.
    const otherIdentity = await loadOrCreateIdentity(undefined);
    const other = new ControlPlaneClient(controlPlane.url, otherIdentity, logger);
    const { nodeId } = await other.register(
      OPERATOR_TOKEN,
      registration(otherIdentity.publicKey, 'someone-else'),
      [],
    );
    await outbox.add({ nodeId, sessionId: 'sforged', reason: 'player_left', startedAt: 0, endedAt: 1, framesSent: 1, bytesSent: 1, width: 1, height: 1 });
    await pollUntil(async () => outbox.pending, (pending) => pending.length === 0);
    expect(existsSync(join(dir, 'sforged.end.json'))).toBe(false);
  });
});
