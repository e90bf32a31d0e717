/** Streams the entries of a zip archive (yauzl, reading the central directory first), one at a time. */
import { promisify } from 'node:util';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { AppError } from '../errors.js';
import type { ArchiveEntry, EntryKind, EntryVisitor, ReaderHooks } from './archive-entry.js';

const openZip = promisify<string, yauzl.Options, ZipFile>(yauzl.open);
const UNIX_HOST = 3;
const UTF8_NAME_FLAG = 0x800;
const MAX_LINK_TARGET_BYTES = 4096;

const KIND_BY_FILE_TYPE: Record<number, EntryKind> = {
  0o100000: 'file',
  0o040000: 'directory',
  0o120000: 'symlink',
  0o020000: 'device',
  0o060000: 'device',
  0o010000: 'fifo',
  0o140000: 'socket',
};

export async function readZip(archivePath: string, visit: EntryVisitor, hooks: ReaderHooks): Promise<void> {
  let zip: ZipFile;
  try {
    // Names stay raw: yauzl's own checks would refuse traversal without our codes.
    zip = await openZip(archivePath, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false });
  } catch (error) {
    throw unreadable(error);
  }
  const openReadStream = promisify(zip.openReadStream.bind(zip));
  let inflated = 0;
  try {
    hooks.onEntryCount(zip.entryCount);
    for (let entry = await nextEntry(zip); entry !== null; entry = await nextEntry(zip)) {
      if (entry.isEncrypted()) throw new AppError('ARCHIVE_UNREADABLE', 'The zip archive has encrypted entries.');
      const described = describe(entry);
      inflated += described.size;
      hooks.onInflated(inflated);
      if (described.kind === 'symlink') {
        described.linkTarget = await readLinkTarget(await openReadStream(entry));
        await visit(described, null);
      } else if (described.kind === 'file') {
        await visit(described, () => openReadStream(entry));
      } else {
        await visit(described, null);
      }
    }
  } catch (error) {
    throw error instanceof AppError ? error : unreadable(error);
  } finally {
    zip.close();
  }
}

function nextEntry(zip: ZipFile): Promise<Entry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
    };
    const onEntry = (entry: Entry): void => (cleanup(), resolve(entry));
    const onEnd = (): void => (cleanup(), resolve(null));
    const onError = (error: Error): void => (cleanup(), reject(error));
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zip.readEntry();
  });
}

function describe(entry: Entry): ArchiveEntry {
  const nameBytes = entry.fileName as unknown as Buffer;
  const rawPath = nameBytes.toString(entry.generalPurposeBitFlag & UTF8_NAME_FLAG ? 'utf8' : 'latin1');
  const unixMode = entry.versionMadeBy >> 8 === UNIX_HOST ? entry.externalFileAttributes >>> 16 : 0;
  const fileType = unixMode & 0o170000;
  let kind: EntryKind;
  if (fileType !== 0) kind = KIND_BY_FILE_TYPE[fileType] ?? 'unsupported';
  else kind = rawPath.endsWith('/') ? 'directory' : 'file';
  return { rawPath, kind, mode: unixMode === 0 ? undefined : unixMode & 0o7777, size: entry.uncompressedSize };
}

async function readLinkTarget(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    length += chunk.length;
    if (length > MAX_LINK_TARGET_BYTES) throw new AppError('ARCHIVE_LINK_OUTSIDE', 'A symbolic link in the zip archive has an over-long target.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function unreadable(error: unknown): AppError {
  return new AppError('ARCHIVE_UNREADABLE', `The zip archive cannot be read: ${error instanceof Error ? error.message : String(error)}.`);
}
