/**
 * Studios over real HTTP: accounts and scoped keys, one studio against another, tus uploads
 * interrupted and resumed with the real tus-js-client, dedupe, immutable versions, channels and
 * rollback, the catalogue players see, and node downloads — on the embedded store and on redis-server.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_FETCH_HEADERS, BUILD_ROUTES, type BuildInfo } from '../../../protocol/build-manifest.js';
import { signBuildFetch } from '../../../protocol/build-fetch-auth.js';
import type { ErrorResponse, GameList } from '../../../protocol/http.js';
import type { ApiKeyCreated, GameReleases, StudioOverview } from '../../../protocol/studio.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { DEMO_GAME } from '../../../services/catalogue/catalogue.js';
import { UploadRefused } from '../../../studio-cli/uploader.js';
import { codeOf } from '../../support/error-code.js';
import { gameEntries, tarGz, TINY_PNG, zip } from '../../support/build-archives.js';
import { useBackends } from './helpers/backends.js';
import { api } from './helpers/http.js';
import { signUp, upload, writeArchive, type TestStudio } from './helpers/studio.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const backends = useBackends(['memory', 'redis']);

describe.each(backends)('studios ($name store)', (backend) => {
  let controlPlane: ControlPlane;
  let dataDir: string;
  let work: string;
  let alpha: TestStudio;
  let beta: TestStudio;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'edgeplay-cp-data-'));
    work = await mkdtemp(join(tmpdir(), 'edgeplay-studio-'));
    controlPlane = await createControlPlane({ logger: { level: 'silent' }, store: backend.store(), dataDir });
    alpha = await signUp(controlPlane.url, 'Alpha Games');
    beta = await signUp(controlPlane.url, 'Beta Works');
  });

  afterAll(async () => {
    await controlPlane?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  const url = (): string => controlPlane.url;
  let archiveCount = 0;
  const archive = (bytes: Buffer) => writeArchive(work, `build-${++archiveCount}.tar.gz`, bytes);
  const storedBuilds = async (): Promise<string[]> => {
    const shards = await readdir(join(dataDir, 'builds')).catch(() => []);
    const files = await Promise.all(shards.map((shard) => readdir(join(dataDir, 'builds', shard))));
    return files.flat().filter((name) => !name.endsWith('.cover'));
  };

  describe('accounts and keys', () => {
    it('refuses a second studio with the same name', async () => {
      const response = await api<ErrorResponse>(url(), '/v1/studios', { body: { name: 'alpha games' } });
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('STUDIO_EXISTS');
    });

    it('refuses requests without a valid key', async () => {
      expect((await api<ErrorResponse>(url(), '/v1/studio')).body.error.code).toBe('API_KEY_INVALID');
      expect((await api<ErrorResponse>(url(), '/v1/studio', { token: 'eps_forged' })).body.error.code).toBe('API_KEY_INVALID');
    });

    it('scopes keys, and a revoked key stops working', async () => {
      const created = await api<ApiKeyCreated>(url(), '/v1/studio/keys', { token: alpha.key, body: { label: 'ci', scopes: ['upload'] } });
      expect(created.status).toBe(201);
      const uploadOnly = created.body.key;
      const publish = await api<ErrorResponse>(url(), '/v1/studio/games/anything/versions/1.0.0/publish', { token: uploadOnly, body: {} });
      expect(publish.status).toBe(403);
      expect(publish.body.error.code).toBe('API_KEY_SCOPE_MISSING');
      expect((await api<ErrorResponse>(url(), '/v1/studio/keys', { token: uploadOnly })).body.error.code).toBe('API_KEY_SCOPE_MISSING');

      const revoked = await api(url(), `/v1/studio/keys/${created.body.apiKey.keyId}`, { method: 'DELETE', token: alpha.key });
      expect(revoked).toMatchObject({ status: 200, body: { keyId: created.body.apiKey.keyId, revokedAt: expect.any(Number) } });
      expect((await api<ErrorResponse>(url(), '/v1/studio', { token: uploadOnly })).body.error.code).toBe('API_KEY_INVALID');
      // Only the key's digest is kept: the listing never shows a key.
      const listed = await api<{ keys: object[] }>(url(), '/v1/studio/keys', { token: alpha.key });
      expect(JSON.stringify(listed.body)).not.toContain(uploadOnly);
    });

    it("does not let a studio revoke another studio's key", async () => {
      const keys = await api<{ keys: { keyId: string }[] }>(url(), '/v1/studio/keys', { token: alpha.key });
      const keyId = keys.body.keys[0]?.keyId ?? '';
      const response = await api<ErrorResponse>(url(), `/v1/studio/keys/${keyId}`, { method: 'DELETE', token: beta.key });
      expect(response.status).toBe(400);
      expect((await api(url(), '/v1/studio', { token: alpha.key })).status).toBe(200);
    });
  });

  describe('uploads, versions and channels', () => {
    let v1: string;
    let v1Archive: { path: string; sha256: string };

    it('resumes an interrupted upload where it stopped and makes it a build', async () => {
      // Incompressible data, so the archive spans several chunks.
      v1Archive = await archive(tarGz(gameEntries({ id: 'rocket', version: '1.0.0' }, [{ path: 'data/blob', body: randomBytes(600_000) }])));
      const controller = new AbortController();
      let uploadUrl = '';
      const interrupted = await codeOf(
        upload(url(), alpha.key, v1Archive, {
          chunkSize: 128 * 1024,
          signal: controller.signal,
          onUploadUrl: (location) => (uploadUrl = location),
          onProgress: (sent) => {
            if (sent >= 200_000) controller.abort();
          },
        }),
      );
      expect(interrupted).not.toBe('accepted');
      expect(uploadUrl).not.toBe('');
      const head = await fetch(uploadUrl, { method: 'HEAD', headers: { authorization: `Bearer ${alpha.key}`, 'tus-resumable': '1.0.0' } });
      const offset = Number(head.headers.get('upload-offset'));
      expect(offset).toBeGreaterThan(0);
      expect(offset).toBeLessThan((await stat(v1Archive.path)).size);
      // Nothing is a build until every byte has arrived.
      expect((await api<StudioOverview>(url(), '/v1/studio', { token: alpha.key })).body.builds).toEqual([]);

      let firstSent = -1;
      v1 = await upload(url(), alpha.key, v1Archive, {
        resumeUrl: uploadUrl,
        chunkSize: 128 * 1024,
        onProgress: (sent) => {
          if (firstSent < 0) firstSent = sent;
        },
      });
      expect(v1).toBe(v1Archive.sha256);
      // The resumed upload starts from the server's offset, not from zero.
      expect(firstSent).toBeGreaterThanOrEqual(offset);
    });

    it("does not let another studio resume, read or end a studio's upload", async () => {
      const other = await archive(tarGz(gameEntries({ id: 'rocket', version: '9.9.9' }, [{ path: 'blob', body: randomBytes(300_000) }])));
      let uploadUrl = '';
      const controller = new AbortController();
      await codeOf(
        upload(url(), alpha.key, other, {
          chunkSize: 64 * 1024,
          signal: controller.signal,
          onUploadUrl: (location) => (uploadUrl = location),
          onProgress: (sent) => {
            if (sent > 0) controller.abort();
          },
        }),
      );
      const tus = (key: string, method: string, headers: Record<string, string> = {}, body?: string) =>
        fetch(uploadUrl, { method, headers: { authorization: `Bearer ${key}`, 'tus-resumable': '1.0.0', ...headers }, ...(body === undefined ? {} : { body }) });
      const offset = (await tus(alpha.key, 'HEAD')).headers.get('upload-offset');
      expect(offset).not.toBeNull();
      expect((await tus(beta.key, 'HEAD')).status).toBe(404);
      const patch = await tus(beta.key, 'PATCH', { 'upload-offset': offset ?? '0', 'content-type': 'application/offset+octet-stream' }, '0123456789');
      expect(patch.status).toBe(404);
      expect(((await patch.json()) as ErrorResponse).error.code).toBe('UPLOAD_NOT_FOUND');
      expect((await tus(beta.key, 'DELETE')).status).toBe(404);
      expect((await tus(alpha.key, 'HEAD')).headers.get('upload-offset')).toBe(offset);
      expect((await tus(alpha.key, 'DELETE')).status).toBe(204);
    });

    it('stores the same bytes once', async () => {
      const before = await storedBuilds();
      expect(await upload(url(), alpha.key, v1Archive)).toBe(v1);
      expect(await storedBuilds()).toEqual(before);
      expect(before).toContain(v1);
    });

    it('refuses other bytes under a version that exists, and a game id another studio owns', async () => {
      const sameVersion = await archive(tarGz(gameEntries({ id: 'rocket', version: '1.0.0', title: 'Changed' })));
      expect(await codeOf(upload(url(), alpha.key, sameVersion))).toBe('VERSION_EXISTS');
      const squatter = await archive(tarGz(gameEntries({ id: 'rocket', version: '2.0.0' })));
      expect(await codeOf(upload(url(), beta.key, squatter))).toBe('GAME_OWNED_BY_OTHER_STUDIO');
      const demo = await archive(tarGz(gameEntries({ id: DEMO_GAME.id })));
      expect(await codeOf(upload(url(), beta.key, demo))).toBe('GAME_OWNED_BY_OTHER_STUDIO');
      // Alpha's own bytes uploaded by Beta do not make Beta a co-owner.
      expect(await codeOf(upload(url(), beta.key, v1Archive))).toBe('GAME_OWNED_BY_OTHER_STUDIO');
    });

    it('publishes to stable, which puts the game in the catalogue with its cover', async () => {
      const notYet = await api<GameList>(url(), '/v1/games');
      expect(notYet.body.games.map((game) => game.id)).toEqual([DEMO_GAME.id]);

      const published = await api<GameReleases>(url(), '/v1/studio/games/rocket/versions/1.0.0/publish', { token: alpha.key, body: {} });
      expect(published.status).toBe(200);
      expect(published.body.channels).toEqual([{ channel: 'stable', version: '1.0.0', previous: [] }]);

      const games = await api<GameList>(url(), '/v1/games');
      expect(games.body.games.map((game) => game.id)).toEqual([DEMO_GAME.id, 'rocket']);
      const rocket = games.body.games[1];
      expect(rocket).toMatchObject({ title: 'Tiny Game', buildId: v1, version: '1.0.0', coverUrl: '/v1/games/rocket/cover', manifest: { runtime: 'x11' } });
      const cover = await fetch(new URL('/v1/games/rocket/cover', url()));
      expect(cover.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await cover.arrayBuffer()).equals(TINY_PNG)).toBe(true);
    });

    it('moves channels forward and rolls them back', async () => {
      const v2Archive = await archive(await zip(gameEntries({ id: 'rocket', version: '1.1.0', title: 'Rocket 1.1' })));
      const v2 = await upload(url(), alpha.key, v2Archive);
      const beta1 = await api<GameReleases>(url(), '/v1/studio/games/rocket/versions/1.1.0/publish', { token: alpha.key, body: { channel: 'beta' } });
      expect(beta1.body.channels.map(({ channel, version }) => `${channel}=${version}`)).toEqual(['beta=1.1.0', 'stable=1.0.0']);
      expect((await api<GameList>(url(), '/v1/games')).body.games[1]?.buildId).toBe(v1);

      const forward = await api<GameReleases>(url(), '/v1/studio/games/rocket/channels/stable', { method: 'PUT', token: alpha.key, body: { version: '1.1.0' } });
      expect(forward.body.channels.find((channel) => channel.channel === 'stable')).toEqual({ channel: 'stable', version: '1.1.0', previous: ['1.0.0'] });
      expect((await api<GameList>(url(), '/v1/games')).body.games[1]).toMatchObject({ buildId: v2, title: 'Rocket 1.1' });

      const back = await api<GameReleases>(url(), '/v1/studio/games/rocket/channels/stable/rollback', { method: 'POST', token: alpha.key });
      expect(back.body.channels.find((channel) => channel.channel === 'stable')).toEqual({ channel: 'stable', version: '1.0.0', previous: [] });
      expect((await api<GameList>(url(), '/v1/games')).body.games[1]?.buildId).toBe(v1);

      const nothingLeft = await api<ErrorResponse>(url(), '/v1/studio/games/rocket/channels/stable/rollback', { method: 'POST', token: alpha.key });
      expect(nothingLeft.body.error.code).toBe('CHANNEL_NOT_FOUND');
      const unknownVersion = await api<ErrorResponse>(url(), '/v1/studio/games/rocket/channels/stable', { method: 'PUT', token: alpha.key, body: { version: '7.0.0' } });
      expect(unknownVersion.body.error.code).toBe('VERSION_NOT_FOUND');
    });

    it("hides a studio's games, builds and channels from another studio", async () => {
      expect((await api<ErrorResponse>(url(), '/v1/studio/games/rocket', { token: beta.key })).body.error.code).toBe('GAME_NOT_FOUND');
      expect((await api<ErrorResponse>(url(), `/v1/studio/builds/${v1}`, { token: beta.key })).body.error.code).toBe('BUILD_NOT_FOUND');
      const move = await api<ErrorResponse>(url(), '/v1/studio/games/rocket/channels/stable', { method: 'PUT', token: beta.key, body: { version: '1.1.0' } });
      expect(move.body.error.code).toBe('GAME_NOT_FOUND');
      const rollback = await api<ErrorResponse>(url(), '/v1/studio/games/rocket/channels/beta/rollback', { method: 'POST', token: beta.key });
      expect(rollback.body.error.code).toBe('GAME_NOT_FOUND');
      const overview = await api<StudioOverview>(url(), '/v1/studio', { token: beta.key });
      expect(overview.body).toMatchObject({ games: [], builds: [] });
    });

    it('shows the studio its games, versions, channels and builds', async () => {
      const overview = await api<StudioOverview>(url(), '/v1/studio', { token: alpha.key });
      expect(overview.body.studio.name).toBe('Alpha Games');
      expect(overview.body.games.map((game) => game.gameId)).toEqual(['rocket']);
      expect(overview.body.games[0]?.versions.map((version) => version.version).sort()).toEqual(['1.0.0', '1.1.0']);
      expect(overview.body.builds.map((build) => build.buildId)).toContain(v1);
    });

    it('lets live nodes download published builds, whole or by range, with signed requests', async () => {
      const node = new TestEdgeNode(url(), controlPlane.operatorToken, { builds: [v1] });
      expect((await node.register()).status).toBe(200);
      const path = BUILD_ROUTES.archive(v1);
      const whole = await fetch(new URL(path, url()), { headers: signBuildFetch(node.nodeId, 'GET', path, node.privateKey) });
      expect(whole.status).toBe(200);
      expect(whole.headers.get('etag')).toBe(`"${v1}"`);
      const bytes = Buffer.from(await whole.arrayBuffer());
      expect(bytes.length).toBe(Number(whole.headers.get('content-length')));

      const ranged = await fetch(new URL(path, url()), { headers: { ...signBuildFetch(node.nodeId, 'GET', path, node.privateKey), range: 'bytes=100-199' } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
      const past = await fetch(new URL(path, url()), { headers: { ...signBuildFetch(node.nodeId, 'GET', path, node.privateKey), range: `bytes=${bytes.length}-` } });
      expect(past.status).toBe(416);

      const info = await api<BuildInfo>(url(), BUILD_ROUTES.info(v1), { headers: signBuildFetch(node.nodeId, 'GET', BUILD_ROUTES.info(v1), node.privateKey) });
      expect(info.body).toMatchObject({ buildId: v1, sizeBytes: bytes.length, format: 'tar.gz', manifest: { id: 'rocket' } });

      // The studio sees which nodes hold its build.
      const build = await api<{ nodes: { nodeId: string }[] }>(url(), `/v1/studio/builds/${v1}`, { token: alpha.key });
      expect(build.body.nodes).toEqual([{ nodeId: node.nodeId, name: 'test-rig' }]);
    });

    it('refuses downloads that are unsigned, signed for another path, stale, or of unpublished builds', async () => {
      const node = new TestEdgeNode(url(), controlPlane.operatorToken);
      await node.register();
      const path = BUILD_ROUTES.archive(v1);
      const code = async (headers: Record<string, string>, target = path): Promise<string> =>
        ((await api<ErrorResponse>(url(), target, { headers })).body.error?.code ?? 'accepted');
      expect(await code({})).toBe('BUILD_FETCH_UNAUTHORIZED');
      expect(await code(signBuildFetch(node.nodeId, 'GET', BUILD_ROUTES.info(v1), node.privateKey))).toBe('SIGNATURE_INVALID');
      expect(await code(signBuildFetch(node.nodeId, 'GET', path, node.privateKey, Date.now() - 120_000))).toBe('BUILD_FETCH_UNAUTHORIZED');
      const forged = { ...signBuildFetch(node.nodeId, 'GET', path, new TestEdgeNode(url(), '').privateKey) };
      expect(await code(forged)).toBe('SIGNATURE_INVALID');
      expect(await code({ ...signBuildFetch('nxnotanode', 'GET', path, node.privateKey) })).toBe('NODE_NOT_FOUND');
      expect(BUILD_FETCH_HEADERS.nodeId).toBe('x-edgeplay-node-id');

      const unpublished = await upload(url(), alpha.key, await archive(tarGz(gameEntries({ id: 'rocket', version: '3.0.0-rc.1' }))));
      const unpublishedPath = BUILD_ROUTES.archive(unpublished);
      expect(await code(signBuildFetch(node.nodeId, 'GET', unpublishedPath, node.privateKey), unpublishedPath)).toBe('BUILD_NOT_FOUND');
    });
  });

  describe('bad archives', () => {
    const bad: [string, () => Promise<Buffer>, string][] = [
      ['path traversal', async () => tarGz(gameEntries({ id: 'bad-game' }, [{ path: '../escape', body: 'x' }])), 'ARCHIVE_PATH_TRAVERSAL'],
      ['an absolute path', async () => zip(gameEntries({ id: 'bad-game' }, [{ path: '/etc/cron.d/x', body: 'x' }])), 'ARCHIVE_ABSOLUTE_PATH'],
      ['a link outside', async () => tarGz(gameEntries({ id: 'bad-game' }, [{ path: 'key', type: 'SymbolicLink', linkpath: '../../node.key' }])), 'ARCHIVE_LINK_OUTSIDE'],
      ['a hard link outside', async () => tarGz(gameEntries({ id: 'bad-game' }, [{ path: 'key', type: 'Link', linkpath: '../node.key' }])), 'ARCHIVE_LINK_OUTSIDE'],
      ['a device file', async () => tarGz(gameEntries({ id: 'bad-game' }, [{ path: 'dev/sda', type: 'BlockDevice' }])), 'ARCHIVE_SPECIAL_FILE'],
      ['a fifo', async () => tarGz(gameEntries({ id: 'bad-game' }, [{ path: 'pipe', type: 'FIFO' }])), 'ARCHIVE_SPECIAL_FILE'],
      ['too many entries', async () => tarGz(gameEntries({ id: 'bad-game' }, Array.from({ length: 20_001 }, (_, i) => ({ path: `d/${i}` })))), 'ARCHIVE_TOO_MANY_ENTRIES'],
      ['no game.json', async () => tarGz(gameEntries({ id: 'bad-game' }).filter((entry) => entry.path !== 'game.json')), 'MANIFEST_MISSING'],
      ['a malformed game.json', async () => tarGz([{ path: 'game.json', body: '{ "id": "bad-game", ' }]), 'MANIFEST_INVALID'],
      ['a missing entry point', async () => tarGz(gameEntries({ id: 'bad-game' }).filter((entry) => entry.path !== 'bin/game')), 'MANIFEST_ENTRY_MISSING'],
      [
        'an entry point that is not executable',
        async () => tarGz(gameEntries({ id: 'bad-game' }).map((entry) => (entry.path === 'bin/game' ? { ...entry, mode: 0o644 } : entry))),
        'MANIFEST_ENTRY_NOT_EXECUTABLE',
      ],
      ['a truncated archive', async () => tarGz(gameEntries({ id: 'bad-game' }, [{ path: 'blob', body: randomBytes(50_000) }])).subarray(0, 20_000), 'ARCHIVE_UNREADABLE'],
    ];

    it.each(bad)('refuses %s at upload and publishes nothing', async (_, bytes, code) => {
      const before = await storedBuilds();
      const refused = upload(url(), beta.key, await archive(await bytes()));
      await expect(refused).rejects.toBeInstanceOf(UploadRefused);
      expect(await codeOf(refused)).toBe(code);
      expect(await storedBuilds()).toEqual(before);
      expect((await api<StudioOverview>(url(), '/v1/studio', { token: beta.key })).body.builds).toEqual([]);
      expect((await api<GameList>(url(), '/v1/games')).body.games.map((game) => game.id)).not.toContain('bad-game');
      expect(await readdir(join(dataDir, 'uploads'))).toEqual([]);
    });

    it('refuses an upload whose bytes do not match the hash it was announced with', async () => {
      const good = await archive(tarGz(gameEntries({ id: 'bad-game' })));
      expect(await codeOf(upload(url(), beta.key, { path: good.path, sha256: 'f'.repeat(64) }))).toBe('BUILD_HASH_MISMATCH');
    });
  });
});
