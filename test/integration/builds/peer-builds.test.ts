/**
 * Builds spreading between real edge node processes: the control plane asks node A to prefetch
 * builds (A reports them cached), then node B, asked to hold them too, learns from the control
 * plane that A has them and downloads from A, never touching the origin; when A serves corrupted
 * bytes or is down, B falls back to the origin. Nobody but a node the control plane vouches for,
 * signing with its own key, gets anything from A. The origin is the control plane behind a proxy
 * that counts each node's archive requests.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateIdentity, type NodeIdentity } from '../../../edge-node/identity.js';
import { signBuildFetch } from '../../../protocol/build-fetch-auth.js';
import { BUILD_ROUTES, BUILD_FETCH_HEADERS } from '../../../protocol/build-manifest.js';
import { BUILD_PEER_ROUTES, type BuildPeers, type PrefetchStarted } from '../../../protocol/build-peers.js';
import type { ErrorResponse } from '../../../protocol/http.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { createSession } from '../../support/api.js';
import { gameEntries, tarGz } from '../../support/build-archives.js';
import { startEdgeNodeProcess, type EdgeNodeProcess } from '../../support/edge-node-process.js';
import { api } from '../services/helpers/http.js';
import { signUp, upload, writeArchive, type TestStudio } from '../services/helpers/studio.js';

const logger = pino({ level: process.env['DEBUG_LOG'] ?? 'silent' });
const BERLIN = { lat: 52.52, lng: 13.405 };
const HAMBURG = { lat: 53.55, lng: 9.99 };
const GAMES = ['spread-honest', 'spread-corrupt', 'spread-down', 'spread-demand'] as const;
/** Placements of one build in one H3 cell that make it popular there, in this test's control plane. */
const POPULAR_AFTER = 2;

let dir: string;
let controlPlane: ControlPlane;
let origin: CountingProxy;
let studio: TestStudio;
let nodeA: EdgeNodeProcess;
let nodeB: EdgeNodeProcess;
let identityB: NodeIdentity;
const builds = new Map<string, { buildId: string; archive: Buffer }>();

interface CountingProxy {
  url: string;
  /** Archive requests per node id and build id. */
  count(nodeId: string, buildId: string): number;
  close(): Promise<void>;
}

/** Forwards every request to the control plane, counting archive downloads by the node that signed them. */
async function startCountingProxy(target: string): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const buildId = /^\/v1\/builds\/([a-f0-9]{64})\/archive/.exec(request.url ?? '')?.[1];
    const nodeId = request.headers[BUILD_FETCH_HEADERS.nodeId];
    if (buildId !== undefined && typeof nodeId === 'string') counts.set(`${nodeId}:${buildId}`, (counts.get(`${nodeId}:${buildId}`) ?? 0) + 1);
    const upstream = httpRequest(new URL(request.url ?? '/', target), { method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (nodeId, buildId) => counts.get(`${nodeId}:${buildId}`) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function startNode(name: string, location: { lat: number; lng: number }): Promise<EdgeNodeProcess> {
  return startEdgeNodeProcess({
    controlPlaneUrl: controlPlane.url,
    operatorToken: controlPlane.operatorToken,
    keyPath: join(dir, `${name}.pem`),
    name,
    location,
    slots: POPULAR_AFTER + 1,
    extraArgs: ['--build-cache', join(dir, `${name}-cache`), '--sandbox-dir', join(dir, `${name}-sandboxes`), '--build-origin', origin.url, '--no-cpu-priority'],
  });
}

function build(gameId: (typeof GAMES)[number]): { buildId: string; archive: Buffer } {
  const found = builds.get(gameId);
  if (found === undefined) throw new Error(`${gameId} was not published`);
  return found;
}

async function prefetch(buildId: string, location: { lat: number; lng: number }): Promise<string[]> {
  const response = await api<PrefetchStarted>(controlPlane.url, BUILD_PEER_ROUTES.prefetch(buildId), { token: controlPlane.adminToken, body: { location, nodes: 1 } });
  expect(response.status).toBe(200);
  return response.body.nodeIds;
}

async function reportedBuilds(nodeId: string): Promise<string[]> {
  return (await controlPlane.store.getNode(nodeId))?.builds ?? [];
}

/** GET of A's copy of a build, with whatever credentials the caller brings. */
async function fetchFromA(buildId: string, headers: Record<string, string>): Promise<Response> {
  return fetch(new URL(BUILD_ROUTES.archive(buildId), nodeA.signallingUrl), { headers });
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as ErrorResponse).error.code;
}

/** What node B gets from the control plane when it asks who holds a build (signed with B's key). */
async function discoverAsB(buildId: string): Promise<BuildPeers> {
  const path = BUILD_PEER_ROUTES.peers(buildId);
  const response = await api<BuildPeers>(controlPlane.url, path, { headers: signBuildFetch(nodeB.nodeId, 'GET', path, identityB.privateKey) });
  expect(response.status).toBe(200);
  return response.body;
}

function servedLines(node: EdgeNodeProcess, buildId: string): number {
  return node
    .output()
    .split('\n')
    .filter((line) => line.includes('serving a build to a peer') && line.includes(buildId)).length;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeplay-peer-builds-'));
  controlPlane = await createControlPlane({
    logger,
    heartbeatIntervalMs: 500,
    nodeTtlMs: 60_000,
    dataDir: join(dir, 'control-plane'),
    rateLimits: false,
    // Players on loopback stand in Berlin, beside node A.
    assumedLocationForLocalClients: BERLIN,
    prefetch: { popularAfter: POPULAR_AFTER, nodesNearDemand: 1 },
  });
  origin = await startCountingProxy(controlPlane.url);
  studio = await signUp(controlPlane.url, 'spreading studio');
  for (const gameId of GAMES) {
    const archive = tarGz(gameEntries({ id: gameId, runtime: 'frames' }, [{ path: 'data.bin', body: randomBytes(512 * 1024) }]));
    const buildId = await upload(controlPlane.url, studio.key, await writeArchive(dir, `${gameId}.tar.gz`, archive));
    const published = await api(controlPlane.url, `/v1/studio/games/${gameId}/versions/1.0.0/publish`, { token: studio.key, body: {} });
    if (published.status !== 200) throw new Error(`publish failed: ${JSON.stringify(published.body)}`);
    builds.set(gameId, { buildId, archive });
  }
  [nodeA, nodeB] = await Promise.all([startNode('node-a', BERLIN), startNode('node-b', HAMBURG)]);
  identityB = await loadOrCreateIdentity(join(dir, 'node-b.pem'));
}, 120_000);

afterAll(async () => {
  await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  await origin?.close();
  await controlPlane?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('builds spreading between edge nodes', () => {
  it('prefetches builds on the node nearest the place an admin names, which reports them cached', async () => {
    const asked = ['spread-honest', 'spread-corrupt', 'spread-down'] as const;
    for (const gameId of asked) expect(await prefetch(build(gameId).buildId, BERLIN)).toEqual([nodeA.nodeId]);
    const all = asked.map((gameId) => build(gameId).buildId);
    await expect.poll(() => reportedBuilds(nodeA.nodeId), { timeout: 30_000 }).toEqual(expect.arrayContaining(all));
    // With no node holding them yet, A had only the origin to fetch from: one request each.
    for (const buildId of all) expect(origin.count(nodeA.nodeId, buildId)).toBe(1);
    // Asked again, the nearest node already holds the build: nobody is asked.
    expect(await prefetch(build('spread-honest').buildId, BERLIN)).toEqual([]);
  });

  it('prefetches a build on the node nearest the players once it is popular there', async () => {
    const { buildId } = build('spread-demand');
    await createSession(controlPlane.url, 'spread-demand');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await reportedBuilds(nodeA.nodeId)).not.toContain(buildId);
    for (let placed = 1; placed < POPULAR_AFTER; placed++) await createSession(controlPlane.url, 'spread-demand');
    await expect.poll(() => reportedBuilds(nodeA.nodeId), { timeout: 30_000 }).toContain(buildId);
    expect(await reportedBuilds(nodeB.nodeId)).not.toContain(buildId);
  });

  it('refuses build downloads to anyone without a token from the control plane and the key it names', async () => {
    const { buildId, archive } = build('spread-honest');
    const path = BUILD_ROUTES.archive(buildId);
    const noCredentials = await fetchFromA(buildId, {});
    expect(noCredentials.status).toBe(401);
    expect(await errorCode(noCredentials)).toBe('PEER_FETCH_UNAUTHORIZED');

    // A stranger's key, never registered: the control plane names no peers for it, and A refuses its signature alone.
    const stranger = await loadOrCreateIdentity(join(dir, 'stranger.pem'));
    const strangerId = 'stranger-node';
    const peersPath = BUILD_PEER_ROUTES.peers(buildId);
    const discovery = await api<ErrorResponse>(controlPlane.url, peersPath, { headers: signBuildFetch(strangerId, 'GET', peersPath, stranger.privateKey) });
    expect(discovery.status).toBe(404);
    expect(discovery.body.error.code).toBe('NODE_NOT_FOUND');
    const signedOnly = await fetchFromA(buildId, signBuildFetch(strangerId, 'GET', path, stranger.privateKey));
    expect(await errorCode(signedOnly)).toBe('PEER_FETCH_UNAUTHORIZED');

    // B's real token, seen on the wire, is of no use with another key's signature, nor for another build.
    const { peers, token } = await discoverAsB(buildId);
    expect(peers).toEqual([{ nodeId: nodeA.nodeId, url: nodeA.signallingUrl }]);
    const stolen = await fetchFromA(buildId, { authorization: `Bearer ${token}`, ...signBuildFetch(nodeB.nodeId, 'GET', path, stranger.privateKey) });
    expect(stolen.status).toBe(401);
    expect(await errorCode(stolen)).toBe('PEER_FETCH_UNAUTHORIZED');
    const otherBuild = build('spread-corrupt').buildId;
    const wrongBuild = await fetchFromA(otherBuild, { authorization: `Bearer ${token}`, ...signBuildFetch(nodeB.nodeId, 'GET', BUILD_ROUTES.archive(otherBuild), identityB.privateKey) });
    expect(await errorCode(wrongBuild)).toBe('PEER_FETCH_UNAUTHORIZED');
    // Nothing but build archives is served, whatever the path tries.
    const traversal = await fetch(`${nodeA.signallingUrl}/v1/builds/${buildId}/../../../etc/passwd`, { headers: { authorization: `Bearer ${token}` } });
    expect(traversal.status).toBe(404);

    // With both proofs, A serves ranges of the verified archive.
    const ranged = await fetchFromA(buildId, { authorization: `Bearer ${token}`, range: 'bytes=100-', ...signBuildFetch(nodeB.nodeId, 'GET', path, identityB.privateKey) });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(archive.subarray(100))).toBe(true);
  });

  it('fetches a build from a nearby node that holds it, not from the origin', async () => {
    const { buildId } = build('spread-honest');
    expect(await prefetch(buildId, HAMBURG)).toEqual([nodeB.nodeId]);
    await expect.poll(() => reportedBuilds(nodeB.nodeId), { timeout: 30_000 }).toContain(buildId);
    expect(origin.count(nodeB.nodeId, buildId)).toBe(0);
    expect(servedLines(nodeA, buildId)).toBeGreaterThanOrEqual(1);
  });

  it('drops a peer that serves bytes other than the build and fetches from the origin', async () => {
    const { buildId, archive } = build('spread-corrupt');
    // A's copy rots on disk after A verified it: A still believes it holds the build.
    const file = await open(join(dir, 'node-a-cache', 'builds', buildId, 'archive'), 'r+');
    await file.write(randomBytes(archive.length), 0, archive.length, 0);
    await file.close();
    expect(await prefetch(buildId, HAMBURG)).toEqual([nodeB.nodeId]);
    await expect.poll(() => reportedBuilds(nodeB.nodeId), { timeout: 30_000 }).toContain(buildId);
    expect(servedLines(nodeA, buildId)).toBeGreaterThanOrEqual(1);
    expect(origin.count(nodeB.nodeId, buildId)).toBe(1);
    expect(nodeB.output()).toContain('build bytes do not match their hash');
    const kept = await readFile(join(dir, 'node-b-cache', 'builds', buildId, 'archive'));
    expect(kept.equals(archive)).toBe(true);
  });

  it('fetches from the origin when the node that holds the build is down', async () => {
    const { buildId } = build('spread-down');
    await nodeA.kill();
    // The control plane still counts A live (its TTL has not run out) and names it: B finds it unreachable.
    expect((await discoverAsB(buildId)).peers.map((peer) => peer.nodeId)).toEqual([nodeA.nodeId]);
    expect(await prefetch(buildId, HAMBURG)).toEqual([nodeB.nodeId]);
    await expect.poll(() => reportedBuilds(nodeB.nodeId), { timeout: 30_000 }).toContain(buildId);
    expect(origin.count(nodeB.nodeId, buildId)).toBe(1);
  });
});
