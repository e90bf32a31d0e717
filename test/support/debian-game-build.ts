/**
 * A real game from Debian's archive (lbreakout2, an SDL game; infra/setup.sh --test installs it)
 * packaged as a studio build at test time: game.json and a wrapper script that starts the Debian
 * binary. Nothing here is written for the test but the packaging.
 */
import { createHash } from 'node:crypto';
import type { BuildManifest } from '../../protocol/build-manifest.js';
import { tarGz } from './build-archives.js';

export const DEBIAN_GAME_BINARY = '/usr/games/lbreakout2';

export function debianGameManifest(overrides: Partial<BuildManifest> = {}): BuildManifest {
  return {
    id: 'lbreakout2',
    version: '2.6.5',
    title: 'LBreakout2',
    description: 'A breakout game from Debian, unmodified, streamed from an X11 display.',
    runtime: 'x11',
    entry: 'run.sh',
    // The game opens a fixed 640x480 window: the display is sized to it.
    width: 640,
    height: 480,
    fps: 60,
    inputs: ['keyboard', 'mouse'],
    needs: { cpuCores: 1, memoryMb: 512, gpuMemoryMb: 0 },
    ...overrides,
  };
}

export function debianGameArchive(overrides: Partial<BuildManifest> = {}): { archive: Buffer; buildId: string; manifest: BuildManifest } {
  const manifest = debianGameManifest(overrides);
  const archive = tarGz([
    { path: 'game.json', body: JSON.stringify(manifest) },
    { path: 'run.sh', mode: 0o755, body: `#!/bin/sh\nexec ${DEBIAN_GAME_BINARY} "$@"\n` },
  ]);
  return { archive, buildId: createHash('sha256').update(archive).digest('hex'), manifest };
}
