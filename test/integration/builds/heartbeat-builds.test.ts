/**
 * Real edge nodes telling a real control plane (on each store backend) what their caches hold,
 * in their heartbeats rather than by registering again: a node that fetches a build lists it in
 * its next heartbeats, and placement then prefers that node for the game; an eviction takes it
 * away again; a heartbeat lost on the way loses nothing, the next one repeats the list until
 * one is acknowledged, and then heartbeats list nothing. One node reaches the control plane
 * through a proxy that refuses the heartbeat channel and drops heartbeats that carry builds.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeNode } from '../../../edge-node/edge-node.js';
import { BUILD_PEER_ROUTES, type PrefetchStarted } from '../../../protocol/build-peers.js';
import type { GeoPoint } from '../../../protocol/http.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { findCandidates } from '../../../services/matchmaker/candidate-search.js';
import { createSession } from '../../support/api.js';
import { gameEntries, tarGz } from '../../support/build-archives.js';
import { useBackends } from '../services/helpers/backends.js';
import { api } from '../services/helpers/http.js';
import { signUp, upload, writeArchive } from '../services/helpers/studio.js';

const logger = pino({ level: process.env['DEBUG_LOG'] ?? 'silent' });
const backends = useBackends();
/** Players on loopback stand here, beside the lossy node; the holder is a couple of km away, so distance alone prefers the lossy node. */
const PLAYERS = { lat: 52.52, lng: 13.405 };
const HOLDER_SITE = { lat: 52.53, lng: 13.43 };
const HEARTBEAT_INTERVAL_MS = 300;
const BUILD_BYTES = 512 * 1024;
const GAMES = ['cached-first', 'cached-second'] as const;

interface DroppingProxy {
  url: string;
  /** Heartbeats that listed builds, dropped or forwarded. */
  buildReports: number;
  dropped: number;
  /** How many more heartbeats that list builds to drop before reaching the control plane. */
  dropNext: number;
  close(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Forwards HTTP to the control plane, refuses the heartbeat channel (so heartbeats come over HTTP), and drops heartbeats that list builds while asked to. */
async function startDroppingProxy(target: string): Promise<DroppingProxy> {
  const forward = (request: IncomingMessage, response: ServerResponse, bytes?: Buffer): void => {
    const upstream = httpRequest(new URL(request.url ?? '/', target), { method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    if (bytes === undefined) request.pipe(upstream);
    else upstream.end(bytes);
  };
  const server: Server = createServer((request, response) => {
    if (!/^\/v1\/nodes\/[^/]+\/heartbeat$/.test(request.url ?? '')) return forward(request, response);
    void body(request).then((bytes) => {
      const listsBuilds = (JSON.parse(bytes.toString()) as { payload: { builds?: string[] } }).payload.builds !== undefined;
      if (listsBuilds) proxy.buildReports++;
      if (listsBuilds && proxy.dropNext > 0) {
        proxy.dropNext--;
        proxy.dropped++;
        request.socket.destroy();
        return;
      }
      forward(request, response, bytes);
    });
  });
  server.on('upgrade', (_request, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: DroppingProxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    buildReports: 0,
    dropped: 0,
    dropNext: 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

describe.each(backends)('cached builds in heartbeats, real nodes ($name store)', (backend) => {
  let dir: string;
  let controlPlane: ControlPlane;
  let proxy: DroppingProxy;
  let holder: EdgeNode;
  let lossy: EdgeNode;
  const buildIds = new Map<(typeof GAMES)[number], string>();

  const buildId = (gameId: (typeof GAMES)[number]): string => buildIds.get(gameId) ?? '';
  const reported = async (nodeId: string): Promise<string[]> => (await controlPlane.store.getNode(nodeId))?.builds ?? [];
  const heartbeatKey = async (nodeId: string): Promise<string | undefined> => (await controlPlane.store.getNode(nodeId))?.heartbeatKey;

  async function prefetch(gameId: (typeof GAMES)[number], location: GeoPoint): Promise<string[]> {
    const response = await api<PrefetchStarted>(controlPlane.url, BUILD_PEER_ROUTES.prefetch(buildId(gameId)), { token: controlPlane.adminToken, body: { location, nodes: 1 } });
    expect(response.status).toBe(200);
    return response.body.nodeIds;
  }

  /** Whether the matchmaker's search for players here sees the build cached on the node. */
  async function searchSeesCached(nodeId: string, gameId: (typeof GAMES)[number]): Promise<boolean | undefined> {
    const manifest = { runtime: 'frames' as const, entry: 'game', width: 640, height: 480, fps: 60, inputs: ['keyboard' as const] };
    const found = await findCandidates(controlPlane.store, { location: PLAYERS, game: { buildId: buildId(gameId), manifest }, k: 4 });
    return found.available.find((node) => node.nodeId === nodeId)?.buildCached;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-heartbeat-builds-'));
    controlPlane = await createControlPlane({
      store: backend.store(),
      logger,
      heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
      nodeTtlMs: 60_000,
      dataDir: join(dir, 'control-plane'),
      rateLimits: false,
      assumedLocationForLocalClients: PLAYERS,
    });
    const studio = await signUp(controlPlane.url, 'cache reporting studio');
    for (const gameId of GAMES) {
      const archive = tarGz(gameEntries({ id: gameId, runtime: 'frames' }, [{ path: 'data.bin', body: randomBytes(BUILD_BYTES) }]));
      buildIds.set(gameId, await upload(controlPlane.url, studio.key, await writeArchive(dir, `${gameId}.tar.gz`, archive)));
      const published = await api(controlPlane.url, `/v1/studio/games/${gameId}/versions/1.0.0/publish`, { token: studio.key, body: {} });
      if (published.status !== 200) throw new Error(`publish failed: ${JSON.stringify(published.body)}`);
    }
    proxy = await startDroppingProxy(controlPlane.url);
    const node = (name: string, location: GeoPoint, controlPlaneUrl: string): Promise<EdgeNode> =>
      // Room for one build (archive and files) but not two: the second evicts the first.
      EdgeNode.start({ controlPlaneUrl, operatorToken: controlPlane.operatorToken, logger, name, location, slots: 4, buildCacheDir: join(dir, `${name}-cache`), buildCacheBytes: 3 * BUILD_BYTES });
    holder = await node('holder', HOLDER_SITE, controlPlane.url);
    lossy = await node('lossy', PLAYERS, proxy.url);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([holder?.stop(), lossy?.stop()]);
    await proxy?.close();
    await controlPlane?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a fetched build in the next heartbeats, after which placement prefers the node; an eviction takes it back', async () => {
    // Nobody holds the build: distance decides, and the lossy node is nearer the players.
    expect((await createSession(controlPlane.url, 'cached-first')).nodeId).toBe(lossy.nodeId);
    const keyBefore = await heartbeatKey(holder.nodeId);

    expect(await prefetch('cached-first', HOLDER_SITE)).toEqual([holder.nodeId]);
    await expect.poll(() => reported(holder.nodeId), { timeout: 20_000 }).toEqual([buildId('cached-first')]);
    expect(holder.builds.has(buildId('cached-first'))).toBe(true);
    await expect.poll(() => searchSeesCached(holder.nodeId, 'cached-first')).toBe(true);
    // The cached build outweighs the couple of km: the holder gets the next player.
    expect((await createSession(controlPlane.url, 'cached-first')).nodeId).toBe(holder.nodeId);

    // Fetching the second build evicts the first; the heartbeats say so.
    expect(await prefetch('cached-second', HOLDER_SITE)).toEqual([holder.nodeId]);
    await expect.poll(() => reported(holder.nodeId), { timeout: 20_000 }).toEqual([buildId('cached-second')]);
    expect(holder.builds.has(buildId('cached-first'))).toBe(false);
    await expect.poll(() => searchSeesCached(holder.nodeId, 'cached-first')).toBe(false);
    expect(await searchSeesCached(holder.nodeId, 'cached-second')).toBe(true);

    // All of it without registering again: the heartbeat key is still the first registration's.
    expect(await heartbeatKey(holder.nodeId)).toBe(keyBefore);
  });

  it('repeats the list after lost heartbeats until one is acknowledged, then lists nothing', async () => {
    const keyBefore = await heartbeatKey(lossy.nodeId);
    proxy.dropNext = 2;
    expect(await prefetch('cached-first', PLAYERS)).toEqual([lossy.nodeId]);
    await expect.poll(() => reported(lossy.nodeId), { timeout: 20_000 }).toEqual([buildId('cached-first')]);
    // Both dropped heartbeats never reached the control plane; a third carried the list.
    expect(proxy.dropped).toBe(2);
    expect(proxy.buildReports).toBeGreaterThanOrEqual(3);
    expect(await searchSeesCached(lossy.nodeId, 'cached-first')).toBe(true);

    // Acknowledged (give the ack of the accepted heartbeat an interval to arrive): the heartbeats that follow list no builds.
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_INTERVAL_MS));
    const reports = proxy.buildReports;
    await new Promise((resolve) => setTimeout(resolve, 5 * HEARTBEAT_INTERVAL_MS));
    expect(proxy.buildReports).toBe(reports);
    expect(await heartbeatKey(lossy.nodeId)).toBe(keyBefore);
  });
});
