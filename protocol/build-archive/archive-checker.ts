/**
 * The rules a build archive must follow, applied entry by entry as a reader streams it and then
 * to the whole: bounded entries and bytes, no paths or links out of the archive, no special
 * files, no entry twice or inside a non-folder, and a valid game.json whose entry point is an
 * executable file in the archive.
 */
import { Value } from '@sinclair/typebox/value';
import { BUILD_MANIFEST_FILE, BuildManifest } from '../build-manifest.js';
import { AppError } from '../errors.js';
import type { ArchiveEntry, EntryKind } from './archive-entry.js';
import { ancestors, entryPath, parentPath, resolveInArchive } from './archive-paths.js';

export interface ArchiveLimits {
  maxEntries: number;
  /** Bytes all files together may expand to. */
  maxExpandedBytes: number;
}

export const MAX_MANIFEST_BYTES = 64 * 1024;
export const MAX_COVER_BYTES = 2 * 1024 * 1024;
/** What tar adds around the files' bytes: a header block and padding per entry, a few blocks at the end. */
const TAR_OVERHEAD_PER_ENTRY = 2048;

interface CheckedEntry {
  kind: EntryKind;
  mode: number | undefined;
  size: number;
  /** For a hard link: the file it names. */
  target?: string;
}

export interface CheckedArchive {
  manifest: BuildManifest;
  entryCount: number;
  expandedBytes: number;
  /** Normalised paths of the links to create once every file is in place (links last, so nothing is written through one). */
  symlinks: ReadonlyMap<string, string>;
  hardlinks: ReadonlyMap<string, string>;
}

export class ArchiveChecker {
  readonly #limits: ArchiveLimits;
  readonly #entries = new Map<string, CheckedEntry>();
  readonly #directories = new Set<string>();
  readonly #symlinks = new Map<string, string>();
  readonly #hardlinks = new Map<string, string>();
  #count = 0;
  #expandedBytes = 0;
  #manifest: BuildManifest | null = null;

  constructor(limits: ArchiveLimits) {
    this.#limits = limits;
  }

  entryCount(count: number): void {
    if (count > this.#limits.maxEntries) throw tooManyEntries(this.#limits.maxEntries);
  }

  inflated(totalBytes: number): void {
    const { maxEntries, maxExpandedBytes } = this.#limits;
    if (totalBytes > maxExpandedBytes + (maxEntries + 2) * TAR_OVERHEAD_PER_ENTRY) throw tooLarge(maxExpandedBytes);
  }

  /** Checks one entry; returns its normalised path, or null for the archive root itself. */
  accept(entry: ArchiveEntry): string | null {
    if (entry.kind === 'device' || entry.kind === 'fifo' || entry.kind === 'socket' || entry.kind === 'unsupported') {
      throw new AppError('ARCHIVE_SPECIAL_FILE', `The entry "${entry.rawPath}" is a ${entry.kind === 'unsupported' ? 'kind of entry we do not unpack' : entry.kind}; only files, folders and links are allowed.`);
    }
    if (++this.#count > this.#limits.maxEntries) throw tooManyEntries(this.#limits.maxEntries);
    const path = entryPath(entry.rawPath);
    if (path === '') return null;
    this.#checkPlacement(path, entry.kind);
    const checked: CheckedEntry = { kind: entry.kind, mode: entry.mode, size: entry.size };
    if (entry.kind === 'directory') {
      this.#directories.add(path);
    } else if (entry.kind === 'symlink') {
      this.#symlinks.set(path, symlinkTarget(path, entry.linkTarget ?? ''));
    } else if (entry.kind === 'hardlink') {
      checked.target = this.#hardlinkTarget(path, entry.linkTarget ?? '');
      this.#hardlinks.set(path, checked.target);
    } else {
      this.#expandedBytes += entry.size;
      if (this.#expandedBytes > this.#limits.maxExpandedBytes) throw tooLarge(this.#limits.maxExpandedBytes);
    }
    this.#entries.set(path, checked);
    return path;
  }

  /** Whether the reader should hand over this file's bytes for the manifest. */
  isManifest(path: string): boolean {
    return path === BUILD_MANIFEST_FILE && this.#entries.get(path)?.kind === 'file';
  }

  /** Parses game.json as the reader meets it, so later entries can be matched against it (the cover). */
  manifestText(text: string): void {
    this.#manifest = parseManifest(text);
  }

  /** The manifest, once it has been read (null before). */
  get manifestSoFar(): BuildManifest | null {
    return this.#manifest;
  }

  /** The whole-archive rules, once every entry has passed. */
  finish(): CheckedArchive {
    const manifest = this.#manifest;
    if (manifest === null) throw new AppError('MANIFEST_MISSING', `The archive has no ${BUILD_MANIFEST_FILE} file at its root.`);
    for (const [path, target] of this.#symlinks) {
      if (resolveInArchive(path, this.#symlinks) === null) throw linkOutside(path, target);
    }
    this.#checkEntryPoint(manifest.entry);
    if (manifest.cover !== undefined) this.coverPath(manifest);
    return {
      manifest,
      entryCount: this.#count,
      expandedBytes: this.#expandedBytes,
      symlinks: this.#symlinks,
      hardlinks: this.#hardlinks,
    };
  }

  /** The file the manifest's cover names, after links; MANIFEST_COVER_INVALID if it is not a small file. */
  coverPath(manifest: BuildManifest): string {
    const file = manifest.cover === undefined ? null : this.#fileAt(manifest.cover);
    if (file === null || file.entry.size > MAX_COVER_BYTES) {
      throw new AppError('MANIFEST_COVER_INVALID', `The cover "${manifest.cover ?? ''}" is not a file of at most ${MAX_COVER_BYTES} bytes in the archive.`);
    }
    return file.path;
  }

  #checkPlacement(path: string, kind: EntryKind): void {
    for (const ancestor of ancestors(path)) {
      const existing = this.#entries.get(ancestor);
      if (existing !== undefined && existing.kind !== 'directory') {
        throw new AppError('ARCHIVE_ENTRY_CONFLICT', `The entry "${path}" lies inside "${ancestor}", which is not a folder.`);
      }
      this.#directories.add(ancestor);
    }
    const existing = this.#entries.get(path);
    const isDirectoryAlready = existing?.kind === 'directory' || (existing === undefined && this.#directories.has(path));
    if (kind === 'directory' ? existing !== undefined && !isDirectoryAlready : existing !== undefined || this.#directories.has(path)) {
      throw new AppError('ARCHIVE_ENTRY_CONFLICT', `The archive has "${path}" twice.`);
    }
  }

  #hardlinkTarget(path: string, rawTarget: string): string {
    let target: string;
    try {
      target = entryPath(rawTarget);
    } catch {
      throw linkOutside(path, rawTarget);
    }
    if (this.#entries.get(target)?.kind !== 'file') {
      throw new AppError('ARCHIVE_LINK_OUTSIDE', `The hard link "${path}" names "${rawTarget}", which is not a file earlier in the archive.`);
    }
    return target;
  }

  #checkEntryPoint(entry: string): void {
    const file = this.#fileAt(entry);
    if (file === null) throw new AppError('MANIFEST_ENTRY_MISSING', `The entry point "${entry}" is not a file in the archive.`);
    if (((file.entry.mode ?? 0) & 0o111) === 0) {
      throw new AppError('MANIFEST_ENTRY_NOT_EXECUTABLE', `The entry point "${entry}" is not executable; set its mode to 755 before packing.`);
    }
  }

  /** The regular file at `path` after following links, or null. */
  #fileAt(path: string): { path: string; entry: CheckedEntry } | null {
    const resolved = resolveInArchive(path, this.#symlinks);
    if (resolved === null) return null;
    const entry = this.#entries.get(resolved);
    if (entry?.kind === 'hardlink' && entry.target !== undefined) return this.#fileAt(entry.target);
    return entry?.kind === 'file' ? { path: resolved, entry } : null;
  }
}

export function parseManifest(text: string): BuildManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AppError('MANIFEST_INVALID', `${BUILD_MANIFEST_FILE} is not valid JSON: ${(error as Error).message}.`);
  }
  if (!Value.Check(BuildManifest, value)) {
    const problems = [...Value.Errors(BuildManifest, value)].slice(0, 8).map(({ path, message }) => ({ path: path || '/', message }));
    const first = problems[0];
    throw new AppError(
      'MANIFEST_INVALID',
      `${BUILD_MANIFEST_FILE} does not match the manifest schema${first === undefined ? '' : `: ${first.path} ${first.message}`}.`,
      { errors: problems },
    );
  }
  return value;
}

/** A symlink's target, checked to stay inside the archive when read from the link's folder. */
function symlinkTarget(path: string, target: string): string {
  if (target === '' || target.startsWith('/') || target.includes('\0')) throw linkOutside(path, target);
  if (resolveInArchive(`${parentPath(path)}/${target}`.replace(/^\//, ''), new Map()) === null) throw linkOutside(path, target);
  return target;
}

function linkOutside(path: string, target: string): AppError {
  return new AppError('ARCHIVE_LINK_OUTSIDE', `The link "${path}" points to "${target}", outside the archive.`);
}

function tooManyEntries(max: number): AppError {
  return new AppError('ARCHIVE_TOO_MANY_ENTRIES', `The archive has more than ${max} entries.`);
}

function tooLarge(max: number): AppError {
  return new AppError('ARCHIVE_TOO_LARGE', `The archive expands to more than ${max} bytes.`);
}
