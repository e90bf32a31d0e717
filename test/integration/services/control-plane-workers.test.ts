/**
 * `services/main.ts --workers 2`: two control-plane instances behind one port, on real Redis. Each
 * accepts the tokens the other minted, both sign tickets with one key, a worker that dies is
 * replaced, and SIGTERM stops them all.
 */
import { Agent, request } from 'node:http';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestToken, SessionCreated } from '../../../protocol/http.js';
import { startControlPlaneProcess, type ControlPlaneProcess } from '../../support/control-plane-process.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { pollUntil } from './helpers/poll.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const OPERATOR_TOKEN = 'ept_workers-test-operator-token-0123456789';
/** A Berlin address in geoip-lite's database: the player stands beside the test node. */
const BERLIN_IP = '85.214.132.117';

/** One request on a connection of its own, so the primary hands each to the next worker. */
function post<T>(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const payload = JSON.stringify(body);
  const agent = new Agent({ keepAlive: false });
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The worker pids that logged a completed request for `path`. */
function pidsThatServed(controlPlane: ControlPlaneProcess, path: string): Set<number> {
  const pids = new Set<number>();
  for (const line of controlPlane.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { pid?: number; msg?: string; req?: { url?: string } };
    if (entry.msg === 'incoming request' && entry.req?.url === path && entry.pid !== undefined) pids.add(entry.pid);
  }
  return pids;
}

describe('control plane with --workers 2', () => {
  let redis: RedisServer;
  let controlPlane: ControlPlaneProcess;

  beforeAll(async () => {
    redis = await startRedis();
    controlPlane = await startControlPlaneProcess(['--workers', '2', '--redis-url', redis.url, '--operator-token', OPERATOR_TOKEN, '--trust-proxy', '--log-level', 'info']);
  }, 60_000);

  afterAll(async () => {
    await controlPlane?.stop();
    await redis?.stop();
  });

  it('serves from two worker processes that accept each other\'s tokens and sign with one ticket key', async () => {
    expect(controlPlane.servingPids).toHaveLength(2);
    expect(new Set(controlPlane.servingPids).size).toBe(2);
    expect(controlPlane.servingPids).not.toContain(controlPlane.pid);

    const node = new TestEdgeNode(controlPlane.url, OPERATOR_TOKEN, { slots: 8 });
    expect((await node.register()).status).toBe(200);

    const kids = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const guest = await post<GuestToken>(controlPlane.url, '/v1/auth/guest', {});
      expect(guest.status).toBe(201);
      // Minted on one connection, used on the next: with two workers taking turns, by the other worker half the time.
      const session = await post<SessionCreated>(
        controlPlane.url,
        '/v1/sessions',
        { gameId: 'demo-arena' },
        { authorization: `Bearer ${guest.body.token}`, 'x-forwarded-for': BERLIN_IP },
      );
      expect(session.status).toBe(201);
      expect(session.body.nodeId).toBe(node.nodeId);
      kids.add(decodeProtectedHeader(session.body.ticket).kid ?? '');
    }
    expect(kids.size).toBe(1);
    // With the workers taking turns per connection, every token was likely minted by the other worker; each served some.
    const served = new Set([...pidsThatServed(controlPlane, '/v1/auth/guest'), ...pidsThatServed(controlPlane, '/v1/sessions')]);
    expect(served).toEqual(new Set(controlPlane.servingPids));
  });

  it('replaces a worker that dies, and keeps serving', async () => {
    const [victim] = controlPlane.servingPids;
    process.kill(victim!, 'SIGKILL');
    const afterRestart = () => controlPlane.output().split('control-plane worker exited; starting another')[1];
    await pollUntil(async () => afterRestart()?.includes('"msg":"control plane listening"') ?? false, (listening) => listening, 30_000);
    for (let i = 0; i < 4; i++) expect((await post<GuestToken>(controlPlane.url, '/v1/auth/guest', {})).status).toBe(201);
  }, 60_000);

  it('stops every worker on SIGTERM', async () => {
    const pids = [...pidsThatServed(controlPlane, '/v1/auth/guest')];
    expect(await controlPlane.stop()).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0), `worker ${pid}`).toThrow();
  }, 30_000);
});

describe('control plane command line', () => {
  it('refuses --workers above 1 without Redis, saying why', async () => {
    await expect(startControlPlaneProcess(['--workers', '2'])).rejects.toThrow(/--workers above 1 needs --redis-url or --redis-cluster/);
  }, 30_000);

  it('tells registering nodes the heartbeat interval it was given, and refuses a node TTL that one lost heartbeat would outlast', async () => {
    await expect(startControlPlaneProcess(['--heartbeat-interval', '5000', '--node-ttl', '9000'])).rejects.toThrow(
      /--node-ttl \(9000 ms\) must be at least twice --heartbeat-interval \(5000 ms\)/,
    );
    await expect(startControlPlaneProcess(['--heartbeat-interval', 'often'])).rejects.toThrow(/expected milliseconds/);
    const controlPlane = await startControlPlaneProcess(['--heartbeat-interval', '10000', '--node-ttl', '30000', '--operator-token', OPERATOR_TOKEN]);
    try {
      const registered = await new TestEdgeNode(controlPlane.url, OPERATOR_TOKEN).register();
      expect(registered.body).toMatchObject({ heartbeatIntervalMs: 10_000, nodeTtlMs: 30_000 });
    } finally {
      await controlPlane.stop();
    }
  }, 30_000);

  it('fails to start, saying why, when its workers cannot reach Redis', async () => {
    // Nothing listens on port 1: every connection is refused at once.
    await expect(startControlPlaneProcess(['--workers', '2', '--redis-url', 'redis://127.0.0.1:1'])).rejects.toThrow(
      /exited before it listened[\s\S]*the control plane failed to start/,
    );
  }, 30_000);

  it('stops, exiting 1, when workers keep dying', async () => {
    const redis = await startRedis();
    try {
      const controlPlane = await startControlPlaneProcess(['--workers', '2', '--redis-url', redis.url, '--log-level', 'info']);
      const listeningPids = () => [...controlPlane.output().matchAll(/"pid":(\d+)[^\n]*"msg":"control plane listening"/g)].map((match) => Number(match[1]));
      const killed = new Set<number>();
      // The pool tolerates 5 deaths a minute; the sixth stops it.
      while (killed.size < 6) {
        const alive = await pollUntil(async () => listeningPids().filter((pid) => !killed.has(pid)), (pids) => pids.length > 0, 30_000);
        killed.add(alive[0]!);
        process.kill(alive[0]!, 'SIGKILL');
      }
      await pollUntil(async () => controlPlane.output().includes('times within a minute; stopping'), (stopped) => stopped, 30_000);
      expect(await controlPlane.stop()).toBe(1);
    } finally {
      await redis.stop();
    }
  }, 90_000);
});
