/**
 * A studio's build on a real control plane and edge node: the first player's join makes the node
 * fetch it (signed, from the control plane), verify, unpack and sandbox it, the page hears the
 * progress, the control plane learns the node holds it, a second player starts from the warm
 * cache, and a build that breaks a limit ends only its own session, with the limit's code.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../../infra/local/system.js';
import type { SessionPreparing } from '../../../protocol/signalling.js';
import type { StudioOverview } from '../../../protocol/studio.js';
import { createSession } from '../../support/api.js';
import { tarGz } from '../../support/build-archives.js';
import { debianGameArchive, debianGameManifest } from '../../support/debian-game-build.js';
import { connectSignalling, type TestSignallingClient } from '../../support/signalling-client.js';
import { api } from '../services/helpers/http.js';
import { signUp, upload, writeArchive, type TestStudio } from '../services/helpers/studio.js';

const logger = pino({ level: process.env['DEBUG_LOG'] ?? 'silent' });
let system: LocalSystem;
let studio: TestStudio;
let dir: string;
let gameBuildId: string;
const clients: TestSignallingClient[] = [];

async function publish(archive: Buffer, name: string, gameId: string, version: string): Promise<string> {
  const buildId = await upload(system.url, studio.key, await writeArchive(dir, name, archive));
  const published = await api(system.url, `/v1/studio/games/${gameId}/versions/${version}/publish`, { token: studio.key, body: {} });
  if (published.status !== 200) throw new Error(`publish failed: ${JSON.stringify(published.body)}`);
  return buildId;
}

async function joinGame(gameId: string): Promise<{ client: TestSignallingClient; preparing: SessionPreparing[]; joined: Awaited<ReturnType<TestSignallingClient['request']>>; sessionId: string }> {
  const session = await createSession(system.url, gameId);
  const client = await connectSignalling(session.signallingUrl);
  clients.push(client);
  const preparing: SessionPreparing[] = [];
  client.socket.on('session:preparing', (progress) => preparing.push(progress));
  const joined = await client.request('session:join', { ticket: session.ticket });
  return { client, preparing, joined, sessionId: session.sessionId };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeplay-node-builds-'));
  // Games run as users of their own and must pass through to their build and scratch directories.
  await chmod(dir, 0o711);
  system = await startLocalSystem({ logger, nodes: [{ name: 'rig', slots: 2, buildCacheDir: join(dir, 'cache'), sandboxDir: join(dir, 'sandboxes') }] });
  studio = await signUp(system.url, 'debian packagers');
  gameBuildId = await publish(debianGameArchive().archive, 'lbreakout2.tar.gz', 'lbreakout2', '2.6.5');
});

afterAll(async () => {
  for (const client of clients) client.close();
  await system?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('edge node with studio builds', () => {
  it('fetches, verifies, unpacks and sandboxes a build on first use, telling the page, and reports it to the control plane', async () => {
    const { preparing, joined, sessionId } = await joinGame('lbreakout2');
    expect(joined).toMatchObject({ ok: true, data: { video: { width: 640, height: 480 } } });
    const stages = preparing.map((p) => p.stage);
    expect(stages).toContain('downloading');
    expect(stages.indexOf('unpacking')).toBeGreaterThan(stages.indexOf('downloading'));
    expect(stages.at(-1)).toBe('starting');
    const node = system.nodes[0]!;
    expect(node.builds.has(gameBuildId)).toBe(true);
    await expect.poll(() => node.sessions.get(sessionId)?.video.stats.framesEncoded ?? 0, { timeout: 15_000 }).toBeGreaterThan(5);
    await expect
      .poll(async () => (await api<StudioOverview>(system.url, '/v1/studio', { token: studio.key })).body.builds.find((b) => b.buildId === gameBuildId)?.nodes, { timeout: 10_000 })
      .toEqual([{ nodeId: node.nodeId, name: 'rig' }]);
  });

  it('starts a second player from the warm cache and ends a game that breaks a limit with its code, the other session streaming on', async () => {
    const node = system.nodes[0]!;
    const first = [...node.sessions.values()][0]!;
    const bombBuild = tarGz([
      { path: 'game.json', body: JSON.stringify(debianGameManifest({ id: 'fork-bomb', version: '1.0.0', title: 'Fork bomb', runtime: 'frames', entry: 'bomb.sh' })) },
      { path: 'bomb.sh', mode: 0o755, body: '#!/bin/sh\nbomb() { bomb | bomb & }\nbomb\nsleep 30\n' },
    ]);
    await publish(bombBuild, 'bomb.tar.gz', 'fork-bomb', '1.0.0');
    const bomb = await joinGame('fork-bomb');
    expect(bomb.joined.ok).toBe(true);
    const notice = await bomb.client.ended;
    expect(notice).toMatchObject({ reason: 'game_limit_exceeded', code: 'GAME_PROCESS_LIMIT' });
    const framesBefore = first.video.stats.framesEncoded;
    await expect.poll(() => first.video.stats.framesEncoded, { timeout: 5000 }).toBeGreaterThan(framesBefore + 10);
    expect(first.ended).toBe(false);

    clients.shift()?.close();
    await expect.poll(() => node.freeSlots, { timeout: 10_000 }).toBe(2);
    const warm = await joinGame('lbreakout2');
    expect(warm.joined.ok).toBe(true);
    expect(warm.preparing.map((p) => p.stage)).toEqual(['starting']);
  });
});
