/**
 * The probe endpoint over real HTTP, on the signalling server's own HTTP server, with tokens that
 * jose signs as the control plane would; then the web client's prober timing a real node.
 */
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import pino from 'pino';
import { io } from 'socket.io-client';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeEndpoint } from '../../../edge-node/probe/probe-endpoint.js';
import type { RateLimit } from '../../../edge-node/probe/client-rate-limiter.js';
import { ProbeTokenVerifier } from '../../../edge-node/probe/probe-token-verifier.js';
import { SignallingServer, type SessionHost } from '../../../edge-node/signalling/signalling-server.js';
import { AppError } from '../../../protocol/errors.js';
import { PROBE_TOKEN_ISSUER } from '../../../protocol/placement.js';
import { measureCandidates } from '../../../web-client/src/lib/rtt-prober.js';
import { connectSignalling } from '../../support/signalling-client.js';
import { freePort } from '../../support/ports.js';

const logger = pino({ level: 'silent' });
// Only the probe path is under test: every join is refused.
const noSessions: SessionHost = {
  admit: () => Promise.reject(new AppError('TICKET_INVALID')),
  open: () => Promise.reject(new AppError('SLOT_UNAVAILABLE')),
  abandon: () => {},
};

let privateKey: CryptoKey;
let publicJwk: JWK;
let forgerKey: CryptoKey;
const servers: SignallingServer[] = [];

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  privateKey = pair.privateKey as CryptoKey;
  publicJwk = await exportJWK(pair.publicKey);
  forgerKey = (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey as CryptoKey;
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

const probeToken = (options: { aud?: string[]; expInS?: number; key?: CryptoKey } = {}): Promise<string> =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(PROBE_TOKEN_ISSUER)
    .setAudience(options.aud ?? ['node-a', 'node-b'])
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expInS ?? 30))
    .sign(options.key ?? privateKey);

async function startNode(options: { nodeId?: string | null; rateLimit?: Partial<RateLimit> } = {}): Promise<SignallingServer> {
  const probe = new ProbeEndpoint({ logger, rateLimit: options.rateLimit ?? { burst: 1000, ratePerSecond: 1000 } });
  if (options.nodeId !== null) probe.useVerifier(await ProbeTokenVerifier.create(publicJwk, options.nodeId ?? 'node-a'));
  const server = await SignallingServer.listen({ host: '127.0.0.1', port: 0, sessions: noSessions, probe, logger });
  servers.push(server);
  return server;
}

const probe = (server: SignallingServer, token?: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${server.url}/probe${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`, init);

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string; cors: string | null }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, ...body.error, cors: response.headers.get('access-control-allow-origin') };
}

describe('edge node probe endpoint', () => {
  let node: SignallingServer;

  beforeAll(async () => {
    node = await startNode();
  });

  it('answers a valid token with an empty, uncacheable 204 that any origin may read', async () => {
    const token = await probeToken();
    for (const method of ['GET', 'HEAD']) {
      const response = await probe(node, token, { method, headers: { origin: 'https://play.example' } });
      expect(response.status).toBe(204);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(await response.text()).toBe('');
    }
  });

  it('answers a CORS preflight, including the private-network one', async () => {
    const response = await fetch(`${node.url}/probe?token=x`, {
      method: 'OPTIONS',
      headers: { origin: 'https://play.example', 'access-control-request-method': 'GET', 'access-control-request-private-network': 'true' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain('GET');
    expect(response.headers.get('access-control-allow-private-network')).toBe('true');
  });

  it('refuses forged, expired, other-node and missing tokens with catalogued JSON errors', async () => {
    const cors = '*';
    expect(await errorOf(await probe(node, await probeToken({ key: forgerKey })))).toMatchObject({ status: 401, code: 'PROBE_TOKEN_INVALID', cors });
    expect(await errorOf(await probe(node, await probeToken({ expInS: -60 })))).toMatchObject({ status: 401, code: 'PROBE_TOKEN_EXPIRED', cors });
    expect(await errorOf(await probe(node, await probeToken({ aud: ['node-b'] })))).toMatchObject({ status: 403, code: 'PROBE_WRONG_NODE', cors });
    expect(await errorOf(await probe(node))).toMatchObject({ status: 401, code: 'PROBE_TOKEN_INVALID', message: 'A probe token is required.', cors });
    expect(await errorOf(await probe(node, 'garbage'))).toMatchObject({ status: 401, code: 'PROBE_TOKEN_INVALID' });
    expect(await errorOf(await probe(node, await probeToken(), { method: 'POST' }))).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });
  });

  it('answers other paths with 404 and leaves socket.io its own path, over WebSocket and long polling', async () => {
    expect(await errorOf(await fetch(`${node.url}/`))).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });
    expect(await errorOf(await fetch(`${node.url}/probe/extra`))).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });

    const player = await connectSignalling(node.url);
    expect(await player.request('session:join', { ticket: 'x' })).toMatchObject({ ok: false, error: { code: 'TICKET_INVALID' } });
    player.close();

    const polling = io(node.url, { transports: ['polling'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      polling.once('connect', resolve);
      polling.once('connect_error', reject);
    });
    polling.disconnect();
  });

  it('refuses probes until the node has registered and knows the key', async () => {
    const unregistered = await startNode({ nodeId: null });
    expect(await errorOf(await probe(unregistered, await probeToken()))).toMatchObject({ status: 503, code: 'NODE_SHUTTING_DOWN' });
  });
});

describe('edge node probe rate limit', () => {
  it('lets one address burst 20 probes, then answers 429 with Retry-After', async () => {
    const node = await startNode({ rateLimit: {} });
    const token = await probeToken();
    // Over a few kept-alive connections, as a page's prober sends them: this is the probe limit's
    // test, not the connection guard's (which cuts an address opening dozens of connections at once).
    const dispatcher = new Agent({ connections: 4 });
    const responses = await Promise.all(Array.from({ length: 30 }, () => probe(node, token, { dispatcher } as RequestInit)));
    await dispatcher.close();
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 204).length).toBeGreaterThanOrEqual(20);
    expect(statuses.filter((status) => status === 204).length).toBeLessThanOrEqual(22);
    const limited = responses.find((response) => response.status === 429)!;
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await errorOf(limited)).toMatchObject({ status: 429, code: 'PROBE_RATE_LIMITED', cors: '*' });
  });
});

describe('the web client prober against real nodes', () => {
  it('reports a median RTT for each reachable candidate and null for one that cannot be reached, quickly', async () => {
    const [nodeA, nodeB, nodeZ] = await Promise.all(['node-a', 'node-b', 'node-z'].map((nodeId) => startNode({ nodeId })));
    const closedPort = await freePort();
    const started = performance.now();
    const measurements = await measureCandidates({
      probeToken: await probeToken({ aud: ['node-a', 'node-b', 'node-c', 'node-d'] }),
      probesPerCandidate: 5,
      candidates: [
        { nodeId: 'node-a', probeUrl: `${nodeA!.url}/probe`, distanceKm: 10, estimatedRttMs: 5 },
        { nodeId: 'node-b', probeUrl: `${nodeB!.url}/probe`, distanceKm: 20, estimatedRttMs: 8 },
        { nodeId: 'node-c', probeUrl: `http://127.0.0.1:${closedPort}/probe`, distanceKm: 30, estimatedRttMs: 12 },
        // Answers, but as a node the token does not name: its probes fail like an unreachable node's.
        { nodeId: 'node-d', probeUrl: `${nodeZ!.url}/probe`, distanceKm: 40, estimatedRttMs: 15 },
      ],
    });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(measurements.map((m) => m.nodeId)).toEqual(['node-a', 'node-b', 'node-c', 'node-d']);
    for (const { rttMs } of measurements.slice(0, 2)) {
      expect(rttMs).toBeTypeOf('number');
      expect(rttMs!).toBeGreaterThanOrEqual(0);
      expect(rttMs!).toBeLessThan(500);
    }
    expect(measurements[2]!.rttMs).toBeNull();
    expect(measurements[3]!.rttMs).toBeNull();
  });
});
