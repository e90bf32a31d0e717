/**
 * A real game from Debian's archive (lbreakout2, an SDL game; infra/setup.sh --test installs it)
 * packaged as a studio build at test time: game.json and a wrapper script that starts the Debian
 * binary. Nothing here is written for the test but the packaging.
 */
import { createHash } from 'node:crypto';
import type { BuildManifest } from '../../protocol/build-manifest.js';
import { manifest, tarGz } from './build-archives.js';

export const DEBIAN_GAME_BINARY = '/usr/games/lbreakout2';

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
    { path: 'run.sh', mode: 0o755, body: `#!/bin/sh\nexec ${DEBIAN_GAME_BINARY} "$@"\n` },
  ]);
  return { archive, buildId: createHash('sha256').update(archive).digest('hex'), manifest: game };
}
