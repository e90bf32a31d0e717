/**
 * A game's private writable directory. As root it is a tmpfs of its own whose size is the quota
 * (the kernel refuses writes past it and the node sees it full); otherwise a plain directory,
 * bounded per file by RLIMIT_FSIZE only.
 */
import { execFile } from 'node:child_process';
import { chown, mkdir, rm, statfs } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** Less free space than this counts as full: a tmpfs keeps a few blocks back. */
const FULL_MARGIN_BYTES = 64 * 1024;

export class ScratchDir {
  private constructor(
    readonly path: string,
    private readonly mounted: boolean,
  ) {}

  static async create(path: string, quotaBytes: number, owner: number | undefined): Promise<ScratchDir> {
    await mkdir(path, { recursive: true, mode: 0o700 });
    if (owner === undefined) return new ScratchDir(path, false);
    await run('mount', ['-t', 'tmpfs', '-o', `size=${quotaBytes},mode=0700,uid=${owner},gid=${owner},nosuid,nodev`, 'tmpfs', path]);
    await chown(path, owner, owner);
    return new ScratchDir(path, true);
  }

  /** True once the game has used up its quota (only a mounted tmpfs can tell). */
  async full(): Promise<boolean> {
    if (!this.mounted) return false;
    const info = await statfs(this.path).catch(() => undefined);
    return info !== undefined && info.bavail * info.bsize < FULL_MARGIN_BYTES;
  }

  async remove(): Promise<void> {
    if (this.mounted) await run('umount', ['-l', this.path]).catch(() => {});
    await rm(this.path, { recursive: true, force: true });
  }
}
