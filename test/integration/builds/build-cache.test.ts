import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BuildCache, unpackBuildArchive, type BuildPreparation, type UnpackArchive } from '../../../edge-node/builds/build-cache.js';
import { codeOf } from '../../support/error-code.js';
import { gameEntries, manifest, tarGz } from '../../support/build-archives.js';
import { startRangeServer, type RangeServer } from '../../support/range-server.js';

const logger = pino({ level: 'silent' });
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Stands in for the archive extractor (tested on its own) where the archive is random bytes: the "unpacked" build is those bytes as one file. */
const unpackAsOneFile: UnpackArchive = async (archive, destination) => {
  await mkdir(destination);
  await copyFile(archive, join(destination, 'blob'));
  return { manifest: manifest() };
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setup(files: Map<string, Buffer>, maxBytes = 64 << 20, unpack: UnpackArchive = unpackAsOneFile): Promise<{ server: RangeServer; cache: BuildCache; root: string }> {
  const server = await startRangeServer(files);
  const root = await mkdtemp(join(tmpdir(), 'edgeplay-cache-'));
  cleanups.push(() => server.close(), () => rm(root, { recursive: true, force: true }));
  const cache = await BuildCache.open({ root, maxBytes, unpack, logger });
  return { server, cache, root };
}

describe('build cache', () => {
  it('resumes a dropped download with a range request and unpacks only the verified archive', async () => {
    const archive = randomBytes(3 << 20);
    const id = sha256(archive);
    const { server, cache } = await setup(new Map([[`/${id}`, archive]]));
    server.dropNext(2, 700_000);
    const stages: BuildPreparation[] = [];
    const lease = await cache.acquire(id, [{ kind: 'origin', url: server.url(`/${id}`) }], (stage) => stages.push(stage));
    expect((await readFile(join(lease.filesDir, 'blob'))).equals(archive)).toBe(true);
    const ranges = server.requests.map((r) => r.range);
    expect(ranges[0]).toBe('');
    expect(ranges.slice(1).every((r) => /^bytes=\d+-$/.test(r))).toBe(true);
    expect(Number(/\d+/.exec(ranges[1] ?? '')?.[0])).toBeGreaterThan(0);
    expect(ranges).toHaveLength(3);
    expect(stages.some((s) => s.stage === 'downloading' && s.progress.totalBytes === archive.length)).toBe(true);
    expect(stages.at(-1)).toEqual({ stage: 'ready' });
    expect(cache.list()).toEqual([id]);
    lease.release();
  });

  it('continues a partial file an earlier run left behind', async () => {
    const archive = randomBytes(1 << 20);
    const id = sha256(archive);
    const { server, cache, root } = await setup(new Map([[`/${id}`, archive]]));
    await writeFile(join(root, 'partial', id), archive.subarray(0, 400_000));
    const lease = await cache.acquire(id, [{ kind: 'origin', url: server.url(`/${id}`) }]);
    expect(server.requests.map((r) => r.range)).toEqual(['bytes=400000-']);
    expect((await readFile(join(lease.filesDir, 'blob'))).equals(archive)).toBe(true);
  });

  it('discards bytes that do not match the hash before unpacking anything', async () => {
    const archive = randomBytes(200_000);
    const id = sha256(archive);
    const tampered = Buffer.from(archive);
    tampered.writeUInt8(tampered.readUInt8(1000) ^ 0xff, 1000);
    let unpacked = 0;
    const { server, cache, root } = await setup(new Map([[`/${id}`, tampered]]), 64 << 20, async (a, d) => {
      unpacked++;
      return unpackAsOneFile(a, d);
    });
    expect(await codeOf(cache.acquire(id, [{ kind: 'origin', url: server.url(`/${id}`) }]))).toBe('BUILD_HASH_MISMATCH');
    expect(unpacked).toBe(0);
    expect(await readdir(join(root, 'partial'))).toEqual([]);
    expect(await readdir(join(root, 'builds'))).toEqual([]);
    expect(cache.has(id)).toBe(false);
  });

  it('falls back to the next source when a peer serves the wrong bytes', async () => {
    const archive = randomBytes(100_000);
    const id = sha256(archive);
    const { server, cache } = await setup(new Map([[`/peer/${id}`, randomBytes(100_000)], [`/origin/${id}`, archive]]));
    const lease = await cache.acquire(id, [
      { kind: 'peer', url: server.url(`/peer/${id}`) },
      { kind: 'origin', url: server.url(`/origin/${id}`) },
    ]);
    expect((await readFile(join(lease.filesDir, 'blob'))).equals(archive)).toBe(true);
  });

  it('leaves nothing half unpacked when the unpacker refuses the archive', async () => {
    const archive = randomBytes(10_000);
    const id = sha256(archive);
    const { server, cache, root } = await setup(new Map([[`/${id}`, archive]]), 64 << 20, async (_a, d) => {
      await mkdir(d);
      await writeFile(join(d, 'half'), 'x');
      throw new Error('refused');
    });
    await expect(cache.acquire(id, [{ kind: 'origin', url: server.url(`/${id}`) }])).rejects.toThrow('refused');
    expect(await readdir(join(root, 'builds'))).toEqual([]);
    expect(await readdir(join(root, 'staging'))).toEqual([]);
  });

  it('evicts the least recently used idle build, never one a session holds', async () => {
    const archives = [randomBytes(300_000), randomBytes(300_000), randomBytes(300_000)];
    const ids = archives.map(sha256);
    // Each build takes its archive plus its unpacked copy: two fit, three do not.
    const { server, cache } = await setup(new Map(archives.map((a, i) => [`/${ids[i]}`, a])), 1_300_000);
    const source = (i: number) => [{ kind: 'origin' as const, url: server.url(`/${ids[i]}`) }];
    const held = await cache.acquire(ids[0]!, source(0));
    (await cache.acquire(ids[1]!, source(1))).release();
    (await cache.acquire(ids[2]!, source(2))).release();
    expect(cache.has(ids[0]!)).toBe(true);
    expect(cache.has(ids[1]!)).toBe(false);
    expect(cache.has(ids[2]!)).toBe(true);
    held.release();
  });

  it('lends a verified archive to a peer upload, keeping it from eviction until returned, and nothing it does not hold', async () => {
    const archives = [randomBytes(300_000), randomBytes(300_000), randomBytes(300_000)];
    const ids = archives.map(sha256);
    const { server, cache } = await setup(new Map(archives.map((a, i) => [`/${ids[i]}`, a])), 1_300_000);
    const source = (i: number) => [{ kind: 'origin' as const, url: server.url(`/${ids[i]}`) }];
    expect(cache.lendArchive(ids[0]!)).toBeUndefined();
    (await cache.acquire(ids[0]!, source(0))).release();
    const lent = cache.lendArchive(ids[0]!)!;
    expect((await readFile(lent.path)).equals(archives[0]!)).toBe(true);
    (await cache.acquire(ids[1]!, source(1))).release();
    (await cache.acquire(ids[2]!, source(2))).release();
    expect(cache.has(ids[0]!)).toBe(true);
    expect(cache.has(ids[1]!)).toBe(false);
    lent.release();
    (await cache.acquire(ids[1]!, source(1))).release();
    expect(cache.has(ids[0]!)).toBe(false);
  });

  it('refuses a build when sessions hold everything the bound allows', async () => {
    const archives = [randomBytes(300_000), randomBytes(300_000)];
    const ids = archives.map(sha256);
    const { server, cache } = await setup(new Map(archives.map((a, i) => [`/${ids[i]}`, a])), 1_000_000);
    const held = await cache.acquire(ids[0]!, [{ kind: 'origin', url: server.url(`/${ids[0]}`) }]);
    expect(await codeOf(cache.acquire(ids[1]!, [{ kind: 'origin', url: server.url(`/${ids[1]}`) }]))).toBe('BUILD_CACHE_FULL');
    expect(cache.list()).toEqual([ids[0]]);
    held.release();
  });

  it('refuses an archive larger than the cache before downloading it', async () => {
    const archive = randomBytes(2_000_000);
    const id = sha256(archive);
    const { server, cache } = await setup(new Map([[`/${id}`, archive]]), 1_000_000);
    expect(await codeOf(cache.acquire(id, [{ kind: 'origin', url: server.url(`/${id}`) }]))).toBe('BUILD_TOO_LARGE');
  });

  it('keeps complete builds across a restart and shares one download between concurrent sessions', async () => {
    const archive = randomBytes(500_000);
    const id = sha256(archive);
    const { server, cache, root } = await setup(new Map([[`/${id}`, archive]]));
    const source = [{ kind: 'origin' as const, url: server.url(`/${id}`) }];
    const [a, b] = await Promise.all([cache.acquire(id, source), cache.acquire(id, source)]);
    expect(server.requests).toHaveLength(1);
    a.release();
    b.release();
    const reopened = await BuildCache.open({ root, maxBytes: 64 << 20, unpack: unpackAsOneFile, logger });
    expect(reopened.list()).toEqual([id]);
    await reopened.acquire(id, source);
    expect(server.requests).toHaveLength(1);
  });

  it('unpacks a real build archive and hands out its manifest', async () => {
    const archive = tarGz(gameEntries({ id: 'cached-game' }));
    const id = sha256(archive);
    const { server, cache } = await setup(new Map([[`/${id}`, archive]]), 64 << 20, unpackBuildArchive);
    const lease = await cache.acquire(id, [{ kind: 'origin', url: server.url(`/${id}`) }]);
    expect(lease.manifest.id).toBe('cached-game');
    expect((await stat(join(lease.filesDir, 'bin', 'game'))).mode & 0o111).not.toBe(0);
    lease.release();
  });

  it('refuses a hostile archive whose hash is right, leaving nothing unpacked', async () => {
    const archive = tarGz(gameEntries({}, [{ path: '../escape', body: 'x' }]));
    const id = sha256(archive);
    const { server, cache, root } = await setup(new Map([[`/${id}`, archive]]), 64 << 20, unpackBuildArchive);
    expect(await codeOf(cache.acquire(id, [{ kind: 'origin', url: server.url(`/${id}`) }]))).toBe('ARCHIVE_PATH_TRAVERSAL');
    expect(await readdir(join(root, 'builds'))).toEqual([]);
    expect(await readdir(join(root, 'staging'))).toEqual([]);
  });
});
