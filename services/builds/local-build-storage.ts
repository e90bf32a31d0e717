/** Builds on the control plane's own disk, under its data directory: `<dir>/<2 hex>/<build id>`. */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BuildStorage, ByteRange } from './build-storage.js';

export class LocalBuildStorage implements BuildStorage {
  readonly #directory: string;

  constructor(directory: string) {
    this.#directory = directory;
  }

  #path(buildId: string, suffix = ''): string {
    if (!/^[a-f0-9]{64}$/.test(buildId)) throw new RangeError(`not a build id: ${buildId}`);
    return join(this.#directory, buildId.slice(0, 2), buildId + suffix);
  }

  async adopt(buildId: string, sourcePath: string): Promise<void> {
    const target = this.#path(buildId);
    if ((await this.size(buildId)) !== null) {
      await rm(sourcePath, { force: true });
      return;
    }
    await mkdir(join(this.#directory, buildId.slice(0, 2)), { recursive: true });
    // Uploads are staged under the same data directory, so this is a rename, never a copy.
    await rename(sourcePath, target);
  }

  async size(buildId: string): Promise<number | null> {
    try {
      return (await stat(this.#path(buildId))).size;
    } catch {
      return null;
    }
  }

  async read(buildId: string, range?: ByteRange): Promise<Readable> {
    return createReadStream(this.#path(buildId), range === undefined ? {} : { start: range.start, end: range.end });
  }

  async putCover(buildId: string, bytes: Buffer): Promise<void> {
    await mkdir(join(this.#directory, buildId.slice(0, 2)), { recursive: true });
    await writeFile(this.#path(buildId, '.cover'), bytes);
  }

  async readCover(buildId: string): Promise<Buffer | null> {
    try {
      return await readFile(this.#path(buildId, '.cover'));
    } catch {
      return null;
    }
  }
}
