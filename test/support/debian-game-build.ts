/**
 * A real game from Debian's archive (lbreakout2, an SDL game; infra/setup.sh --test installs it)
 * packaged as a studio build at test time: game.json, Debian's game binary, and a wrapper script
 * that starts it from the build. Nothing here is written for the test but the packaging.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildManifest } from '../../protocol/build-manifest.js';
import { manifest, tarGz } from './build-archives.js';

const DEBIAN_GAME_BINARY = '/usr/games/lbreakout2';
/** Where the build carries Debian's binary; its data and libraries come from the rig's base system, read-only in the sandbox. */
const BUILD_BINARY = 'bin/lbreakout2';
const WRAPPER = `#!/bin/sh\nexec "$(dirname "$0")/${BUILD_BINARY}" "$@"\n`;

export function debianGameManifest(overrides: Partial<BuildManifest> = {}): BuildManifest {
  // The game opens a fixed 640x480 window, the test builds' default display size; it ships no cover.
  const game = manifest({
    id: 'lbreakout2',
    version: '2.6.5',
    title: 'LBreakout2',
    description: 'A breakout game from Debian, unmodified, streamed from an X11 display.',
    entry: 'run.sh',
    needs: { cpuCores: 1, memoryMb: 512, gpuMemoryMb: 0 },
  });
  delete game.cover;
  return { ...game, ...overrides };
}

export function debianGameArchive(overrides: Partial<BuildManifest> = {}): { archive: Buffer; buildId: string; manifest: BuildManifest } {
  const game = debianGameManifest(overrides);
  const archive = tarGz([
    { path: 'game.json', body: JSON.stringify(game) },
    { path: 'run.sh', mode: 0o755, body: WRAPPER },
    { path: BUILD_BINARY, mode: 0o755, body: readFileSync(DEBIAN_GAME_BINARY) },
  ]);
  return { archive, buildId: createHash('sha256').update(archive).digest('hex'), manifest: game };
}

/** Data is written in blocks of this size, each different in its first bytes. */
const DATA_BLOCK_BYTES = 64 * 1024 ** 2;

/**
 * The same game as a studio's folder, ready for `edgeplay-studio pack`: game.json, Debian's binary,
 * the wrapper, and `dataBytes` of incompressible game data (no two blocks alike, so no store can
 * deduplicate them), so that an upload of it takes many chunks.
 */
export async function debianGameFolder(parent: string, dataBytes: number, overrides: Partial<BuildManifest> = {}): Promise<string> {
  const folder = join(parent, overrides.id ?? 'lbreakout2');
  await mkdir(join(folder, 'bin'), { recursive: true });
  await writeFile(join(folder, 'game.json'), JSON.stringify(debianGameManifest(overrides)));
  await writeFile(join(folder, 'run.sh'), WRAPPER, { mode: 0o755 });
  await copyFile(DEBIAN_GAME_BINARY, join(folder, BUILD_BINARY));
  await chmod(join(folder, BUILD_BINARY), 0o755);
  const block = randomBytes(Math.min(dataBytes, DATA_BLOCK_BYTES));
  const data = createWriteStream(join(folder, 'data.bin'));
  for (let written = 0; written < dataBytes; written += block.length) {
    block.writeUInt32LE(written / block.length, 0);
    if (!data.write(block.subarray(0, Math.min(block.length, dataBytes - written)))) await once(data, 'drain');
  }
  await new Promise<void>((resolve, reject) => data.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return folder;
}
