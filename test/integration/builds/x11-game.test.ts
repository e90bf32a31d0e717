/**
 * The x11 runtime with a real Debian game packaged as a build: its own display, captured frames
 * with the node's latency strip, keyboard and mouse input that change what it draws, and its sound.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBuildArchive } from '../../../protocol/build-archive.js';
import { decodeStrip, planeLuma } from '../../../protocol/latency-strip.js';
import type { InputEvent } from '../../../protocol/input.js';
import type { GameExit } from '../../../edge-node/game/game-process.js';
import { DEFAULT_SANDBOX_LIMITS } from '../../../edge-node/sandbox/sandbox-limits.js';
import { X11Game } from '../../../edge-node/x11/x11-game.js';
import { debianGameArchive } from '../../support/debian-game-build.js';

const logger = pino({ level: 'silent' });
let dir: string;
let game: X11Game;
let exit: Promise<GameExit>;
let latest: { hash: string; strip: number | null; count: number } = { hash: '', strip: null, count: 0 };
let audioChunks = 0;
/** Chunks with anything but silence in them. */
let soundChunks = 0;
const WIDTH = 640;
const HEIGHT = 480;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeplay-x11-'));
  await chmod(dir, 0o711);
  const { archive, manifest } = debianGameArchive();
  await writeFile(join(dir, 'archive.tar.gz'), archive);
  await extractBuildArchive(join(dir, 'archive.tar.gz'), join(dir, 'build'));
  game = await X11Game.start({
    root: join(dir, 'sandboxes'),
    sessionId: 'x11-test',
    buildDir: join(dir, 'build'),
    network: false,
    limits: DEFAULT_SANDBOX_LIMITS,
    logger,
    program: `/game/${manifest.entry}`,
    width: WIDTH,
    height: HEIGHT,
    fps: 30,
    latencyStrip: true,
  });
  exit = new Promise((resolve) => game.once('exit', resolve));
  game.on('frame', (header, pixels) => {
    expect(header.width).toBe(WIDTH);
    // The strip's own rows change with every input; what the game drew is below them.
    const hash = createHash('sha256').update(pixels.subarray(WIDTH * 16, WIDTH * HEIGHT)).digest('hex');
    latest = { hash, strip: decodeStrip(planeLuma(pixels, WIDTH)), count: latest.count + 1 };
  });
  game.on('audio', (_header, samples) => {
    audioChunks++;
    if (samples.some((byte) => byte !== 0)) soundChunks++;
  });
});

afterAll(async () => {
  await game?.stop(500);
  await rm(dir, { recursive: true, force: true });
});

/** Waits until the picture holds still (the menu has finished drawing) and returns its hash. */
async function settledFrame(): Promise<string> {
  let previous = '';
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 400));
    if (latest.count > 0 && latest.hash === previous) return previous;
    previous = latest.hash;
  }
}

let seq = 0;
type Unsequenced = InputEvent extends infer E ? (E extends InputEvent ? Omit<E, 'seq'> : never) : never;
const send = (event: Unsequenced): boolean => game.sendInput({ ...event, seq: ++seq } as InputEvent);

describe('x11 runtime with a Debian game', () => {
  it('streams the game and stamps the seq of the last input injected before capture', async () => {
    await expect.poll(() => latest.count, { timeout: 20_000 }).toBeGreaterThan(10);
    expect(latest.strip).toBe(0);
    send({ t: 'mmove', dx: 5, dy: 5 });
    await expect.poll(() => latest.strip, { timeout: 5000 }).toBe(seq);
  });

  it('changes what the game draws on keyboard input', async () => {
    const before = await settledFrame();
    send({ t: 'key', code: 'ArrowDown', down: true });
    send({ t: 'key', code: 'ArrowDown', down: false });
    await expect.poll(() => latest.hash, { timeout: 5000 }).not.toBe(before);
  });

  it('changes what the game draws on mouse input', async () => {
    const before = await settledFrame();
    // The menu highlights the entry under the pointer: moving it far down picks another one.
    send({ t: 'mmove', dx: -2000, dy: -2000 });
    send({ t: 'mmove', dx: 180, dy: 300 });
    await expect.poll(() => latest.hash, { timeout: 5000 }).not.toBe(before);
  });

  it("carries the game's sound from its own sound server", async () => {
    await expect.poll(() => audioChunks, { timeout: 10_000 }).toBeGreaterThan(50);
    // The menu clicks when its highlight moves, as it did in the input tests.
    expect(soundChunks).toBeGreaterThan(0);
  });

  it('takes the display, sound server and sandbox down with the game', async () => {
    const result = await game.stop(500);
    expect(result.crashed).toBe(false);
    await exit;
    expect(await readdir(join(dir, 'sandboxes'))).toEqual([]);
  });
});
