/** The studio store's contract, on the embedded backend and on a real redis-server: both must answer alike. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStudioStore } from '../../../services/studios/memory-studio-store.js';
import { RedisStudioStore } from '../../../services/studios/redis-studio-store.js';
import { RECENT_SESSIONS_KEPT, type ApiKeyRecord, type BuildRecord, type StudioStore } from '../../../services/studios/studio-store.js';
import { manifest } from '../../support/build-archives.js';
import { startRedis, type RedisServer } from '../../support/redis.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const backends: [string, () => Promise<StudioStore>][] = [
  ['memory', async () => new MemoryStudioStore()],
  ['redis', () => RedisStudioStore.connect({ redisUrl: redis.url }, { keyPrefix: `test:${randomUUID()}:` })],
];

const key = (studioId: string, keyId: string): ApiKeyRecord => ({ keyId, studioId, digest: `${studioId}-${keyId}`, label: 'k', scopes: ['upload'], createdAt: 1 });
const build = (buildId: string, studioId: string, version: string): BuildRecord => ({
  buildId,
  studioId,
  gameId: 'g',
  version,
  sizeBytes: 10,
  format: 'tar.gz',
  manifest: manifest({ id: 'g', version }),
  uploadedAt: 1,
});

describe.each(backends)('studio store contract (%s)', (_, open) => {
  let store: StudioStore;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await store?.close();
  });

  it('keeps studio names unique regardless of case', async () => {
    expect(await store.createStudio({ studioId: 'sta', name: 'Alpha', createdAt: 1 })).toBe(true);
    expect(await store.createStudio({ studioId: 'stb', name: 'ALPHA', createdAt: 2 })).toBe(false);
    expect(await store.getStudio('sta')).toEqual({ studioId: 'sta', name: 'Alpha', createdAt: 1 });
    expect(await store.getStudio('stb')).toBeNull();
  });

  it("finds keys by digest and revokes only the studio's own", async () => {
    await store.putApiKey(key('sta', 'k1'));
    await store.putApiKey(key('stz', 'k2'));
    expect(await store.revokeApiKey('stz', 'k1', 5)).toBeNull();
    expect((await store.apiKeyByDigest('sta-k1'))?.revokedAt).toBeUndefined();
    expect((await store.revokeApiKey('sta', 'k1', 5))?.revokedAt).toBe(5);
    expect((await store.revokeApiKey('sta', 'k1', 9))?.revokedAt).toBe(5);
    expect((await store.listApiKeys('sta')).map((record) => record.keyId)).toEqual(['k1']);
  });

  it('gives a game to the first studio that claims it', async () => {
    const [first, second] = await Promise.all([store.claimGame('g', 'sta'), store.claimGame('g', 'stz')]);
    expect(first).toBe(second);
    expect(await store.gameOwner('g')).toBe(first);
    expect(await store.studioGames(first)).toEqual(['g']);
  });

  it('keeps the first build of a version and of a build id', async () => {
    expect((await store.putBuild(build('b1', 'sta', '1.0.0'))).studioId).toBe('sta');
    expect((await store.putBuild(build('b1', 'stz', '1.0.0'))).studioId).toBe('sta');
    expect((await store.claimVersion({ gameId: 'g', version: '1.0.0', buildId: 'b1', uploadedAt: 1 })).buildId).toBe('b1');
    expect((await store.claimVersion({ gameId: 'g', version: '1.0.0', buildId: 'b2', uploadedAt: 2 })).buildId).toBe('b1');
    expect(await store.markPublished('g', '9.9.9', 3)).toBeNull();
    expect((await store.markPublished('g', '1.0.0', 3))?.publishedAt).toBe(3);
    expect((await store.markPublished('g', '1.0.0', 4))?.publishedAt).toBe(3);
  });

  it('moves channels, remembers where they pointed, and rolls them back', async () => {
    expect(await store.rollbackChannel('g', 'stable')).toBeNull();
    await store.moveChannel('g', 'stable', '1.0.0');
    await store.moveChannel('g', 'stable', '1.0.0');
    expect(await store.moveChannel('g', 'stable', '1.1.0')).toEqual({ channel: 'stable', version: '1.1.0', previous: ['1.0.0'] });
    await store.moveChannel('g', 'beta', '2.0.0');
    expect(await store.listChannels('g')).toEqual([
      { channel: 'beta', version: '2.0.0', previous: [] },
      { channel: 'stable', version: '1.1.0', previous: ['1.0.0'] },
    ]);
    expect(await store.rollbackChannel('g', 'stable')).toEqual({ channel: 'stable', version: '1.0.0', previous: [] });
    expect(await store.rollbackChannel('g', 'stable')).toBeNull();
    expect(await store.publishedGames()).toEqual(['g']);
  });

  it("keeps a studio's most recent sessions", async () => {
    for (let i = 0; i < RECENT_SESSIONS_KEPT + 5; i++) await store.recordSession('sta', `s${i}`);
    const recent = await store.recentSessions('sta', 100);
    expect(recent).toHaveLength(RECENT_SESSIONS_KEPT);
    expect(recent[0]).toBe(`s${RECENT_SESSIONS_KEPT + 4}`);
  });
});
