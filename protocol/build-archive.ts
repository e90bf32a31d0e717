/**
 * Safe inspection and extraction of a build archive (tar.gz or zip), shared by the control plane
 * (which inspects every upload before it becomes a build) and edge nodes (which unpack what they
 * fetched). Both stream: an archive is never held in memory. Anything the rules refuse
 * (protocol/build-archive/archive-checker.ts) fails with a catalogued code, and extraction either
 * renames a complete tree into place or leaves nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, open, rename, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ArchiveFormat, BuildManifest } from './build-manifest.js';
import { AppError } from './errors.js';
import type { EntryVisitor, OpenBody, ReaderHooks } from './build-archive/archive-entry.js';
import { ArchiveChecker, MAX_COVER_BYTES, MAX_MANIFEST_BYTES, type ArchiveLimits } from './build-archive/archive-checker.js';
import { readTarGz } from './build-archive/tar-gz-reader.js';
import { readZip } from './build-archive/zip-reader.js';
import { coverContentType } from './build-archive/cover-image.js';

export type { ArchiveLimits } from './build-archive/archive-checker.js';

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = { maxEntries: 20_000, maxExpandedBytes: 8 * 1024 ** 3 };

export interface ArchiveInspection {
  format: ArchiveFormat;
  manifest: BuildManifest;
  entryCount: number;
  expandedBytes: number;
  /** The manifest's cover image, when it names one. */
  cover?: { bytes: Buffer; contentType: string };
}

/** Tells the format from the first bytes: gzip's magic or a zip local header / empty-archive record. */
export async function detectArchiveFormat(archivePath: string): Promise<ArchiveFormat> {
  const handle = await open(archivePath, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'tar.gz';
    if (bytesRead === 4 && buffer.toString('latin1', 0, 2) === 'PK' && (buffer[2] === 3 || buffer[2] === 5)) return 'zip';
  } finally {
    await handle.close();
  }
  throw new AppError('ARCHIVE_UNREADABLE', 'The build archive is neither a gzip-compressed tar nor a zip file.');
}

/** Reads the whole archive and checks every rule without writing anything. */
export async function inspectBuildArchive(archivePath: string, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<ArchiveInspection> {
  const format = await detectArchiveFormat(archivePath);
  const checker = new ArchiveChecker(limits);
  let cover: Buffer | null = null;
  await readArchive(format, archivePath, checker, async (path, openBody) => {
    if (checker.isManifest(path)) checker.manifestText((await readBody(openBody, MAX_MANIFEST_BYTES, manifestTooLarge)).toString('utf8'));
    else if (path === checker.manifestSoFar?.cover) cover = await readBody(openBody, MAX_COVER_BYTES, coverTooLarge);
  });
  const checked = checker.finish();
  const inspection: ArchiveInspection = { format, manifest: checked.manifest, entryCount: checked.entryCount, expandedBytes: checked.expandedBytes };
  if (checked.manifest.cover !== undefined) {
    // The cover came before game.json in the archive: one more pass for that file alone.
    const coverPath = checker.coverPath(checked.manifest);
    const bytes = cover ?? (await readOneFile(format, archivePath, coverPath, limits));
    inspection.cover = { bytes, contentType: coverContentType(bytes) };
  }
  return inspection;
}

/**
 * Unpacks the archive to `destination` (which must not exist yet): into a sibling temporary
 * folder first, renamed into place only once every entry is written and every rule has passed.
 * On any failure the temporary folder is removed and the error rethrown.
 */
export async function extractBuildArchive(
  archivePath: string,
  destination: string,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
): Promise<ArchiveInspection> {
  const format = await detectArchiveFormat(archivePath);
  const checker = new ArchiveChecker(limits);
  const staging = `${destination}.partial-${randomUUID()}`;
  await mkdir(staging, { recursive: true, mode: 0o755 });
  try {
    await readArchive(format, archivePath, checker, async (path, openBody, mode) => {
      if (!checker.isManifest(path)) return writeFile(join(staging, path), openBody, mode);
      const bytes = await readBody(openBody, MAX_MANIFEST_BYTES, manifestTooLarge);
      checker.manifestText(bytes.toString('utf8'));
      await writeBytes(join(staging, path), bytes);
    }, async (path) => {
      await mkdir(join(staging, path), { recursive: true, mode: 0o755 });
    });
    const checked = checker.finish();
    for (const [path, target] of checked.hardlinks) await link(join(staging, target), await parentReady(staging, path));
    for (const [path, target] of checked.symlinks) await symlink(target, await parentReady(staging, path));
    await rename(staging, destination);
    return { format, manifest: checked.manifest, entryCount: checked.entryCount, expandedBytes: checked.expandedBytes };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

type FileVisitor = (path: string, openBody: OpenBody, mode: number | undefined) => Promise<void>;

async function readArchive(
  format: ArchiveFormat,
  archivePath: string,
  checker: ArchiveChecker,
  onFile: FileVisitor,
  onDirectory: (path: string) => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  const visit: EntryVisitor = async (entry, openBody) => {
    const path = checker.accept(entry);
    if (path === null) return;
    if (entry.kind === 'directory') await onDirectory(path);
    else if (entry.kind === 'file' && openBody !== null) await onFile(path, openBody, entry.mode);
  };
  const hooks: ReaderHooks = { onEntryCount: (count) => checker.entryCount(count), onInflated: (bytes) => checker.inflated(bytes) };
  await (format === 'zip' ? readZip(archivePath, visit, hooks) : readTarGz(archivePath, visit, hooks));
}

async function readOneFile(format: ArchiveFormat, archivePath: string, wanted: string, limits: ArchiveLimits): Promise<Buffer> {
  let found: Buffer | null = null;
  await readArchive(format, archivePath, new ArchiveChecker(limits), async (path, openBody) => {
    if (path === wanted) found = await readBody(openBody, MAX_COVER_BYTES, coverTooLarge);
  });
  if (found === null) throw coverTooLarge();
  return found;
}

async function readBody(openBody: OpenBody, maxBytes: number, tooLarge: () => AppError): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of await openBody()) {
    length += chunk.length;
    if (length > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Files keep their execute bits and lose setuid, setgid, sticky and write for others. */
function fileMode(mode: number | undefined): number {
  return ((mode ?? 0o644) & 0o755) | 0o400;
}

async function writeFile(target: string, openBody: OpenBody, mode: number | undefined): Promise<void> {
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  const handle = await open(target, 'wx', 0o600);
  try {
    for await (const chunk of await openBody()) await handle.write(chunk);
    await handle.chmod(fileMode(mode));
  } finally {
    await handle.close();
  }
}

async function writeBytes(target: string, bytes: Buffer): Promise<void> {
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  const handle = await open(target, 'wx', 0o644);
  try {
    await handle.write(bytes);
  } finally {
    await handle.close();
  }
}

async function parentReady(root: string, path: string): Promise<string> {
  const target = join(root, path);
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  return target;
}

function manifestTooLarge(): AppError {
  return new AppError('MANIFEST_INVALID', `game.json is larger than ${MAX_MANIFEST_BYTES} bytes.`);
}

function coverTooLarge(): AppError {
  return new AppError('MANIFEST_COVER_INVALID', `The cover image is missing or larger than ${MAX_COVER_BYTES} bytes.`);
}
