/** Packs a game folder as a build archive: tar.gz, game.json first, modes kept (the entry point stays executable), owners dropped. */
import { readdir } from 'node:fs/promises';
import { create } from 'tar';
import { BUILD_MANIFEST_FILE } from '../protocol/build-manifest.js';

export async function packGame(folder: string, archivePath: string): Promise<void> {
  const names = await readdir(folder);
  if (!names.includes(BUILD_MANIFEST_FILE)) throw new Error(`${folder} has no ${BUILD_MANIFEST_FILE}.`);
  const ordered = [BUILD_MANIFEST_FILE, ...names.filter((name) => name !== BUILD_MANIFEST_FILE).sort()];
  await create({ gzip: true, file: archivePath, cwd: folder, portable: true }, ordered);
}
