/**
 * npm run bench:builds — how fast builds move and games start on this machine:
 *  - upload_mb_s: a 1 GB build archive uploaded by the studio uploader (tus) to the control plane over loopback;
 *  - fetch_mb_s: the same archive fetched by an edge node (signed range requests, SHA-256 verified as it streams);
 *  - peer_fetch_mb_s: the same archive fetched by a second node from the first node's cache (peer fetch token
 *    from the control plane's discovery, signed range requests, SHA-256 verified), the origin left out;
 *  - baseline_mb_s, in the same run: the archive streamed over a bare loopback HTTP server into a file,
 *    hashed on the way, the least work either path could do;
 *  - first_frame_cold_ms / first_frame_warm_ms: from asking for a session of the x11 game (Debian's lbreakout2
 *    packaged as a build) to the node encoding its first captured frame, with the build not yet on the node
 *    and then cached. Measured at the node: the browser adds the WebRTC setup of every game alike.
 * The archive is generated under the system's temp dir and deleted afterwards. Writes test/bench/results/builds.json.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import * as tar from 'tar';
import { downloadBuild } from '../../edge-node/builds/build-download.js';
import { buildSources } from '../../edge-node/builds/build-sources.js';
import { discoverBuildPeers } from '../../edge-node/builds/peer-discovery.js';
import { loadOrCreateIdentity } from '../../edge-node/identity.js';
import { startLocalSystem, type LocalSystem } from '../../infra/local/system.js';
import { sha256OfFile } from '../../protocol/build-hash.js';
import { uploadArchive } from '../../studio-cli/uploader.js';
import { createSession } from '../support/api.js';
import { debianGameArchive, debianGameFolder } from '../support/debian-game-build.js';
import { connectSignalling } from '../support/signalling-client.js';
import { api } from '../integration/services/helpers/http.js';
import { signUp } from '../integration/services/helpers/studio.js';

const BUILD_BYTES = Number(process.env['BENCH_BUILD_BYTES'] ?? 1024 ** 3);
const MB = 1024 ** 2;

/** A valid x11 build of about BUILD_BYTES: the Debian game plus incompressible data, gzip storing rather than compressing. */
async function writeBigArchive(dir: string): Promise<string> {
  const source = await debianGameFolder(dir, BUILD_BYTES, { id: 'big-game', version: '1.0.0', title: 'Big game' });
  const archive = join(dir, 'big.tar.gz');
  await tar.c({ gzip: { level: 0 }, cwd: source, file: archive, portable: true }, ['game.json', 'run.sh', 'bin', 'data.bin']);
  await rm(source, { recursive: true });
  return archive;
}

async function baselineMbPerS(archive: string, dir: string): Promise<number> {
  const server = createServer((_request, response) => void pipeline(createReadStream(archive), response).catch(() => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const started = performance.now();
  const response = await fetch(url);
  const hash = createHash('sha256');
  const out = createWriteStream(join(dir, 'baseline.bin'));
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(resolve));
  hash.digest();
  const seconds = (performance.now() - started) / 1000;
  server.close();
  await rm(join(dir, 'baseline.bin'));
  return (await stat(archive)).size / MB / seconds;
}

/** From asking for a session to the node's first encoded frame of it. */
async function firstFrameMs(system: LocalSystem, gameId: string): Promise<number> {
  const started = performance.now();
  const session = await createSession(system.url, gameId);
  const client = await connectSignalling(session.signallingUrl);
  const joined = await client.request('session:join', { ticket: session.ticket });
  if (!joined.ok) throw new Error(`join failed: ${JSON.stringify(joined)}`);
  const node = system.nodes[0]!;
  for (;;) {
    if ((node.sessions.get(session.sessionId)?.video.stats.framesEncoded ?? 0) > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const elapsed = performance.now() - started;
  client.close();
  while (node.freeSlots < 1) await new Promise((resolve) => setTimeout(resolve, 50));
  return elapsed;
}

/**
 * The first node caches the build (from the origin, unpacked as for a session); the second asks the
 * control plane who holds it and downloads from that node alone.
 */
async function peerFetchMbPerS(system: LocalSystem, buildId: string, keyPaths: { holder: string; fetcher: string }, target: string): Promise<number> {
  const [holder, fetcher] = system.nodes as [LocalSystem['nodes'][number], LocalSystem['nodes'][number]];
  const holderIdentity = await loadOrCreateIdentity(keyPaths.holder);
  (await holder.builds.acquire(buildId, buildSources(buildId, { originUrl: system.url, nodeId: holder.nodeId, privateKey: holderIdentity.privateKey }))).release();
  const identity = await loadOrCreateIdentity(keyPaths.fetcher);
  const discovery = { controlPlaneUrl: system.url, nodeId: fetcher.nodeId, privateKey: identity.privateKey, logger };
  // The holder reports its cache with its next heartbeat.
  let peers = await discoverBuildPeers(buildId, discovery);
  while (peers.peers.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    peers = await discoverBuildPeers(buildId, discovery);
  }
  const sources = buildSources(buildId, { originUrl: system.url, nodeId: fetcher.nodeId, privateKey: identity.privateKey, peers }).filter((source) => source.kind === 'peer');
  const started = performance.now();
  await downloadBuild({ buildId, sources, target, maxBytes: 2 * BUILD_BYTES, logger });
  const seconds = (performance.now() - started) / 1000;
  const bytes = (await stat(target)).size;
  await rm(target);
  return bytes / MB / seconds;
}

/** Nodes download published builds only. */
async function publish(url: string, key: string, gameId: string, version: string): Promise<void> {
  const published = await api(url, `/v1/studio/games/${gameId}/versions/${version}/publish`, { token: key, body: {} });
  if (published.status !== 200) throw new Error(`publish failed: ${JSON.stringify(published.body)}`);
}

const dir = await mkdtemp(join(tmpdir(), 'edgeplay-bench-builds-'));
await chmod(dir, 0o711);
const logger = pino({ level: 'warn' });
let system: LocalSystem | undefined;
try {
  process.stdout.write(`generating a ${Math.round(BUILD_BYTES / MB)} MB build archive...\n`);
  const archive = await writeBigArchive(dir);
  const archiveBytes = (await stat(archive)).size;
  const sha256 = await sha256OfFile(archive);
  const keyPath = join(dir, 'node-key.pem');
  const peerKeyPath = join(dir, 'peer-key.pem');
  system = await startLocalSystem({
    logger,
    controlPlane: { dataDir: join(dir, 'control-plane'), maxUploadBytes: 2 * BUILD_BYTES },
    nodes: [
      { name: 'bench', slots: 1, keyPath, buildCacheDir: join(dir, 'cache'), sandboxDir: join(dir, 'sandboxes') },
      // Farther from the players than the first, so sessions go to the first.
      { name: 'bench-peer', slots: 1, keyPath: peerKeyPath, buildCacheDir: join(dir, 'peer-cache'), location: { lat: 53.55, lng: 9.99 } },
    ],
  });
  const studio = await signUp(system.url, 'bench studio');

  const baseline = await baselineMbPerS(archive, dir);

  let started = performance.now();
  const { buildId } = await uploadArchive({ controlPlane: system.url, apiKey: studio.key, path: archive, sha256 });
  const uploadMbS = archiveBytes / MB / ((performance.now() - started) / 1000);

  await publish(system.url, studio.key, 'big-game', '1.0.0');
  const identity = await loadOrCreateIdentity(keyPath);
  const sources = buildSources(buildId, { originUrl: system.url, nodeId: system.nodes[0]!.nodeId, privateKey: identity.privateKey });
  started = performance.now();
  await downloadBuild({ buildId, sources, target: join(dir, 'fetched'), maxBytes: 2 * BUILD_BYTES, logger });
  const fetchMbS = archiveBytes / MB / ((performance.now() - started) / 1000);
  await rm(join(dir, 'fetched'));
  await rm(archive);
  const peerFetchMbS = await peerFetchMbPerS(system, buildId, { holder: keyPath, fetcher: peerKeyPath }, join(dir, 'peer-fetched'));

  const game = debianGameArchive();
  await writeFile(join(dir, 'game.tar.gz'), game.archive);
  await uploadArchive({ controlPlane: system.url, apiKey: studio.key, path: join(dir, 'game.tar.gz'), sha256: game.buildId });
  await publish(system.url, studio.key, 'lbreakout2', '2.6.5');
  const cold = await firstFrameMs(system, 'lbreakout2');
  const warm = await firstFrameMs(system, 'lbreakout2');

  const result = {
    upload_mb_s: Math.round(uploadMbS),
    fetch_mb_s: Math.round(fetchMbS),
    peer_fetch_mb_s: Math.round(peerFetchMbS),
    first_frame_cold_ms: Math.round(cold),
    first_frame_warm_ms: Math.round(warm),
    baseline_mb_s: Math.round(baseline),
    build_mb: Math.round(archiveBytes / MB),
  };
  console.table([
    { measure: 'upload (tus, control plane)', value: `${result.upload_mb_s} MB/s`, goal: '>= 200 MB/s' },
    { measure: 'node fetch (signed ranges, SHA-256)', value: `${result.fetch_mb_s} MB/s`, goal: '>= 200 MB/s' },
    { measure: 'peer fetch (from a node cache, signed ranges, SHA-256)', value: `${result.peer_fetch_mb_s} MB/s`, goal: '' },
    { measure: 'baseline: bare loopback HTTP + SHA-256 + write', value: `${result.baseline_mb_s} MB/s`, goal: '' },
    { measure: 'Play to first frame, cold cache', value: `${result.first_frame_cold_ms} ms`, goal: '' },
    { measure: 'Play to first frame, warm cache', value: `${result.first_frame_warm_ms} ms`, goal: '< 2000 ms' },
  ]);
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'builds.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await system?.close();
  await rm(dir, { recursive: true, force: true });
}
