/**
 * The node's on-disk cache of builds: each verified archive (kept, so nearby nodes can fetch it
 * from here) and its unpacked files, bounded in bytes. The least recently used build goes first
 * when room is needed, but never one a running session holds a lease on. A build appears in the
 * cache whole or not at all: it is downloaded and unpacked aside and moved in by one rename.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmod, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Logger } from 'pino';
import { extractBuildArchive } from '../../protocol/build-archive.js';
import { BuildManifest } from '../../protocol/build-manifest.js';
import { AppError } from '../../protocol/errors.js';
import { downloadBuild, type BuildSource, type DownloadProgress } from './build-download.js';

/** Unpacks a verified archive into `destination` (not yet there), refusing anything unsafe, and returns its manifest. */
export type UnpackArchive = (archivePath: string, destination: string) => Promise<{ manifest: BuildManifest }>;

export const unpackBuildArchive: UnpackArchive = (archivePath, destination) => extractBuildArchive(archivePath, destination);

export interface BuildCacheOptions {
  root: string;
  maxBytes: number;
  unpack?: UnpackArchive;
  logger: Logger;
}

export type BuildPreparation = { stage: 'downloading'; progress: DownloadProgress } | { stage: 'unpacking' } | { stage: 'ready' };

export interface BuildLease {
  buildId: string;
  /** The unpacked build, to be mounted read-only into the game's sandbox. */
  filesDir: string;
  manifest: BuildManifest;
  release(): void;
}

interface Entry {
  buildId: string;
  manifest: BuildManifest;
  sizeBytes: number;
  lastUsedAt: number;
  leases: number;
}

const BUILD_ID = /^[a-f0-9]{64}$/;
const manifestChecker = TypeCompiler.Compile(BuildManifest);
const META_FILE = 'meta.json';

interface BuildCacheEvents {
  /** The set of cached builds changed (the node tells the control plane). */
  changed: [];
}

export class BuildCache extends EventEmitter<BuildCacheEvents> {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<void>>();

  private constructor(private readonly options: BuildCacheOptions) {
    super();
  }

  /** Opens the cache at `root`, keeping complete builds from earlier runs and dropping half-done work. */
  static async open(options: BuildCacheOptions): Promise<BuildCache> {
    const cache = new BuildCache(options);
    await mkdir(cache.dir('builds'), { recursive: true });
    await mkdir(cache.dir('partial'), { recursive: true });
    await rm(cache.dir('staging'), { recursive: true, force: true });
    await mkdir(cache.dir('staging'), { recursive: true });
    // Sandboxed games run as other users: they must pass through to their own build's mount source.
    for (const dir of [options.root, cache.dir('builds')]) await chmod(dir, 0o711);
    for (const name of await readdir(cache.dir('builds'))) {
      const meta = await readMeta(join(cache.dir('builds'), name));
      if (meta && BUILD_ID.test(name)) cache.entries.set(name, { buildId: name, ...meta, leases: 0 });
      else await rm(join(cache.dir('builds'), name), { recursive: true, force: true });
    }
    return cache;
  }

  /** Build ids held, most recently used first. */
  list(): string[] {
    return [...this.entries.values()].sort((a, b) => b.lastUsedAt - a.lastUsedAt).map((e) => e.buildId);
  }

  has(buildId: string): boolean {
    return this.entries.has(buildId);
  }

  get usedBytes(): number {
    let sum = 0;
    for (const entry of this.entries.values()) sum += entry.sizeBytes;
    return sum;
  }

  /**
   * The verified archive of a cached build, for serving it to a peer, or undefined when the build
   * is not (or not yet wholly) here. It is not evicted until released, so an upload never streams
   * a file whose disk space the cache has already counted as free.
   */
  lendArchive(buildId: string): { path: string; release(): void } | undefined {
    const entry = this.entries.get(buildId);
    if (entry === undefined) return undefined;
    entry.leases++;
    let released = false;
    return {
      path: join(this.dir('builds'), buildId, 'archive'),
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
      },
    };
  }

  /**
   * The build, fetched and unpacked first if it is not here. The lease keeps it from eviction
   * until released. Concurrent calls for one build share one download.
   */
  async acquire(buildId: string, sources: readonly BuildSource[], onStage?: (stage: BuildPreparation) => void): Promise<BuildLease> {
    if (!BUILD_ID.test(buildId)) throw new AppError('VALIDATION_FAILED', 'A build id is a SHA-256 in hex.');
    if (!this.entries.has(buildId)) {
      let pending = this.inFlight.get(buildId);
      if (!pending) {
        pending = this.fetch(buildId, sources, onStage).finally(() => this.inFlight.delete(buildId));
        this.inFlight.set(buildId, pending);
      }
      await pending;
    }
    const entry = this.entries.get(buildId);
    if (!entry) throw new AppError('BUILD_FETCH_FAILED', `Build ${buildId} was evicted before it could be used.`);
    entry.leases++;
    this.touch(entry);
    onStage?.({ stage: 'ready' });
    let released = false;
    return {
      buildId,
      filesDir: join(this.dir('builds'), buildId, 'files'),
      manifest: entry.manifest,
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
        this.touch(entry);
      },
    };
  }

  private async fetch(buildId: string, sources: readonly BuildSource[], onStage?: (stage: BuildPreparation) => void): Promise<void> {
    const partial = join(this.dir('partial'), buildId);
    await downloadBuild({
      buildId,
      sources,
      target: partial,
      maxBytes: this.options.maxBytes,
      onSize: (total) => this.makeRoom(total),
      onProgress: (progress) => onStage?.({ stage: 'downloading', progress }),
      logger: this.options.logger,
    });
    onStage?.({ stage: 'unpacking' });
    const staging = join(this.dir('staging'), `${buildId}-${randomUUID()}`);
    try {
      await mkdir(staging, { recursive: true });
      await rename(partial, join(staging, 'archive'));
      const { manifest } = await (this.options.unpack ?? unpackBuildArchive)(join(staging, 'archive'), join(staging, 'files'));
      const sizeBytes = await treeSize(staging);
      await this.makeRoom(sizeBytes);
      const entry: Entry = { buildId, manifest, sizeBytes, lastUsedAt: Date.now(), leases: 0 };
      await writeMeta(staging, entry);
      await chmod(staging, 0o755);
      await rename(staging, join(this.dir('builds'), buildId));
      this.entries.set(buildId, entry);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    this.options.logger.info({ buildId, cacheBytes: this.usedBytes }, 'build cached');
    this.emit('changed');
  }

  /** Evicts least recently used builds no session holds until `bytes` more fit under the bound. */
  private async makeRoom(bytes: number): Promise<void> {
    if (bytes > this.options.maxBytes) throw new AppError('BUILD_TOO_LARGE', `The build needs ${bytes} bytes; this node caches at most ${this.options.maxBytes}.`);
    const idle = [...this.entries.values()].filter((e) => e.leases === 0).sort((a, b) => a.lastUsedAt - b.lastUsedAt);
    let evicted = false;
    while (this.usedBytes + bytes > this.options.maxBytes) {
      const victim = idle.shift();
      if (!victim) throw new AppError('BUILD_CACHE_FULL');
      this.entries.delete(victim.buildId);
      await rm(join(this.dir('builds'), victim.buildId), { recursive: true, force: true });
      this.options.logger.info({ buildId: victim.buildId, sizeBytes: victim.sizeBytes }, 'build evicted');
      evicted = true;
    }
    if (evicted) this.emit('changed');
  }

  private touch(entry: Entry): void {
    entry.lastUsedAt = Date.now();
    // The order survives a restart; a lost write only makes the build look older.
    void writeMeta(join(this.dir('builds'), entry.buildId), entry).catch(() => {});
  }

  private dir(name: 'builds' | 'partial' | 'staging'): string {
    return join(this.options.root, name);
  }
}

async function readMeta(dir: string): Promise<Omit<Entry, 'buildId' | 'leases'> | undefined> {
  try {
    const meta = JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as Record<string, unknown>;
    if (typeof meta['sizeBytes'] === 'number' && typeof meta['lastUsedAt'] === 'number' && manifestChecker.Check(meta['manifest'])) {
      return { sizeBytes: meta['sizeBytes'], lastUsedAt: meta['lastUsedAt'], manifest: meta['manifest'] };
    }
  } catch {
    // A build without readable metadata is incomplete: it is dropped.
  }
  return undefined;
}

function writeMeta(dir: string, entry: Entry): Promise<void> {
  return writeFile(join(dir, META_FILE), JSON.stringify({ sizeBytes: entry.sizeBytes, lastUsedAt: entry.lastUsedAt, manifest: entry.manifest }));
}

async function treeSize(path: string): Promise<number> {
  const info = await lstat(path);
  if (!info.isDirectory()) return info.size;
  let sum = 0;
  for (const name of await readdir(path)) sum += await treeSize(join(path, name));
  return sum;
}
