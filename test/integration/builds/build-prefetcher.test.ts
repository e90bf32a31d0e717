/**
 * The node's background prefetcher over a real build cache and a real HTTP source: builds asked
 * for are fetched one after another into the cache, a failure does not stop the ones behind it,
 * and what is asked for past the queue's bound (or already held) is not fetched.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BuildCache, type UnpackArchive } from '../../../edge-node/builds/build-cache.js';
import { BuildPrefetcher } from '../../../edge-node/builds/build-prefetcher.js';
import { manifest } from '../../support/build-archives.js';
import { startRangeServer, type RangeServer } from '../../support/range-server.js';

const logger = pino({ level: 'silent' });

/** Stands in for the archive extractor (tested on its own): the archives are random bytes. */
const unpackAsOneFile: UnpackArchive = async (archive, destination) => {
  await mkdir(destination);
  await copyFile(archive, join(destination, 'blob'));
  return { manifest: manifest() };
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setup(count: number): Promise<{ ids: string[]; server: RangeServer; cache: BuildCache }> {
  const archives = Array.from({ length: count }, () => randomBytes(256 * 1024));
  const ids = archives.map((archive) => createHash('sha256').update(archive).digest('hex'));
  const server = await startRangeServer(new Map(archives.map((archive, i) => [`/${ids[i]}`, archive])));
  const root = await mkdtemp(join(tmpdir(), 'edgeplay-prefetcher-'));
  cleanups.push(() => server.close(), () => rm(root, { recursive: true, force: true }));
  const cache = await BuildCache.open({ root, maxBytes: 64 << 20, unpack: unpackAsOneFile, logger });
  return { ids, server, cache };
}

describe('build prefetcher', () => {
  it('fetches what it is asked for one after another, past a build whose source fails', async () => {
    const { ids, server, cache } = await setup(3);
    const missing = 'f'.repeat(64);
    const prefetcher = new BuildPrefetcher({ cache, sources: async (buildId) => [{ kind: 'origin', url: server.url(`/${buildId}`) }], logger });
    prefetcher.request([ids[0]!, missing, ids[1]!]);
    prefetcher.request([ids[0]!, ids[2]!]);
    await expect.poll(() => cache.list().length, { timeout: 10_000 }).toBe(3);
    expect(cache.list().sort()).toEqual([...ids].sort());
    // Each build was downloaded once, the one asked for twice included.
    expect(server.requests.filter((request) => request.path === `/${ids[0]}`)).toHaveLength(1);
    expect(server.requests.filter((request) => request.path === `/${missing}`).length).toBeGreaterThan(0);
  });

  it('drops what is asked for past its bound, and anything once stopped', async () => {
    const { ids, server, cache } = await setup(4);
    const prefetcher = new BuildPrefetcher({ cache, sources: async (buildId) => [{ kind: 'origin', url: server.url(`/${buildId}`) }], maxQueued: 2, logger });
    prefetcher.request(ids.slice(0, 3));
    await expect.poll(() => cache.list().length, { timeout: 10_000 }).toBe(2);
    expect(cache.list().sort()).toEqual(ids.slice(0, 2).sort());
    prefetcher.stop();
    prefetcher.request([ids[3]!]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.requests.map((request) => request.path)).not.toContain(`/${ids[2]}`);
    expect(server.requests.map((request) => request.path)).not.toContain(`/${ids[3]}`);
  });
});
