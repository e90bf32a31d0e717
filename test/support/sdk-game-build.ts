/**
 * The SDK's minimal game (edge-node/game-sdk/example/minimal-game.ts) packaged the way the SDK's
 * README tells a studio to: bundled with esbuild into one executable ES module, beside a game.json
 * with runtime `frames`.
 */
import { build } from 'esbuild';
import type { BuildManifest } from '../../protocol/build-manifest.js';
import { manifest, tarGz } from './build-archives.js';

const MINIMAL_GAME = new URL('../../edge-node/game-sdk/example/minimal-game.ts', import.meta.url).pathname;

/** The game as one file a node can run: `#!/usr/bin/env node`, the SDK and the protocol inlined. */
export async function bundleMinimalGame(): Promise<string> {
  const result = await build({ entryPoints: [MINIMAL_GAME], bundle: true, platform: 'node', format: 'esm', target: 'node20', write: false, logLevel: 'silent' });
  const bundle = result.outputFiles[0];
  if (!bundle) throw new Error('esbuild wrote no bundle');
  return bundle.text;
}

export async function minimalGameArchive(overrides: Partial<BuildManifest> = {}): Promise<{ archive: Buffer; manifest: BuildManifest }> {
  const game = manifest({ id: 'minimal-game', version: '1.0.0', title: 'Minimal Game', description: 'The game SDK example.', runtime: 'frames', entry: 'game.mjs', inputs: ['keyboard'], ...overrides });
  delete game.cover;
  const archive = tarGz([
    { path: 'game.json', body: JSON.stringify(game) },
    { path: game.entry, mode: 0o755, body: await bundleMinimalGame() },
  ]);
  return { archive, manifest: game };
}
