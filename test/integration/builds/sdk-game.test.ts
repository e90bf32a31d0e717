/**
 * A game written only against the game SDK, bundled and packaged as its README says, runs under
 * the node: directly on the node's game-process path, and as a studio's `frames` build that a
 * real control plane and edge node fetch, sandbox and stream, its frames following the inputs
 * the node feeds it.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GameProcess } from '../../../edge-node/game/game-process.js';
import type { RunningGame } from '../../../edge-node/game/running-game.js';
import { startLocalSystem, type LocalSystem } from '../../../infra/local/system.js';
import type { FrameHeader } from '../../../protocol/game-protocol.js';
import { decodeStrip, planeLuma } from '../../../protocol/latency-strip.js';
import { createSession } from '../../support/api.js';
import { bundleMinimalGame, minimalGameArchive } from '../../support/sdk-game-build.js';
import { connectSignalling, type TestSignallingClient } from '../../support/signalling-client.js';
import { api } from '../services/helpers/http.js';
import { signUp, upload, writeArchive } from '../services/helpers/studio.js';

const logger = pino({ level: process.env['DEBUG_LOG'] ?? 'silent' });
let dir: string;
let system: LocalSystem | undefined;
const clients: TestSignallingClient[] = [];
let built: Awaited<ReturnType<typeof minimalGameArchive>>;

/** Sends a key press with `seq` and resolves with the first frame that reports it applied, and the strip it carries. */
function frameAfterInput(game: RunningGame, seq: number, width: number): Promise<{ header: FrameHeader; stripSeq: number | null }> {
  return new Promise((resolve) => {
    const onFrame = (header: FrameHeader, pixels: Buffer): void => {
      if (header.inputSeq !== seq) return;
      game.off('frame', onFrame);
      resolve({ header, stripSeq: decodeStrip(planeLuma(pixels, width)) });
    };
    game.on('frame', onFrame);
    expect(game.sendInput({ t: 'key', seq, code: 'ArrowRight', down: true })).toBe(true);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeplay-sdk-game-'));
  // Games run as users of their own and must pass through to their build and scratch directories.
  await chmod(dir, 0o711);
  built = await minimalGameArchive();
});

afterAll(async () => {
  for (const client of clients) client.close();
  await system?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a game written on the SDK', () => {
  it('runs bundled on the node’s game-process path: frames and sound, the applied input in header and strip, quits when asked', async () => {
    const bundle = join(dir, 'game.mjs');
    await writeFile(bundle, await bundleMinimalGame(), { mode: 0o755 });
    // Wide enough for the whole strip (protocol/latency-strip.ts: STRIP_WIDTH).
    const game = GameProcess.start({ command: bundle, width: 640, height: 360, fps: 60, latencyStrip: true });
    let audioChunks = 0;
    game.on('audio', () => audioChunks++);
    const { header, stripSeq } = await frameAfterInput(game, 42, 640);
    expect(header).toMatchObject({ width: 640, height: 360, inputSeq: 42 });
    expect(stripSeq).toBe(42);
    await expect.poll(() => audioChunks, { timeout: 5000 }).toBeGreaterThan(3);
    expect(await game.stop(2000)).toMatchObject({ code: 0, crashed: false });
    expect(game.stats.framesReceived).toBeGreaterThan(1);
  });

  it('is uploaded and published as a frames build, and a node fetches, sandboxes and streams it, following input', async () => {
    system = await startLocalSystem({ logger, nodes: [{ name: 'rig', slots: 1, latencyStrip: true, buildCacheDir: join(dir, 'cache'), sandboxDir: join(dir, 'sandboxes') }] });
    const studio = await signUp(system.url, 'sdk studio');
    const { id, version } = built.manifest;
    await upload(system.url, studio.key, await writeArchive(dir, 'minimal-game.tar.gz', built.archive));
    const published = await api(system.url, `/v1/studio/games/${id}/versions/${version}/publish`, { token: studio.key, body: {} });
    expect(published.status).toBe(200);

    const session = await createSession(system.url, id);
    const client = await connectSignalling(session.signallingUrl);
    clients.push(client);
    const joined = await client.request('session:join', { ticket: session.ticket });
    expect(joined).toMatchObject({ ok: true, data: { video: { width: built.manifest.width, height: built.manifest.height } } });
    const running = system.nodes[0]!.sessions.get(session.sessionId)!;
    await expect.poll(() => running.video.stats.framesEncoded, { timeout: 15_000 }).toBeGreaterThan(5);
    const { stripSeq } = await frameAfterInput(running.game, 7, built.manifest.width);
    // The node asks for the strip, and the SDK drew it over the game's frame.
    expect(stripSeq).toBe(7);
    const encoded = running.video.stats.framesEncoded;
    await expect.poll(() => running.video.stats.framesEncoded, { timeout: 5000 }).toBeGreaterThan(encoded + 10);
  });
});
