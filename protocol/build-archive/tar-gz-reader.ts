/** Streams the entries of a tar.gz archive (node-tar's parser over zlib), one at a time. */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { AppError } from '../errors.js';
import type { ArchiveEntry, EntryKind, EntryVisitor, ReaderHooks } from './archive-entry.js';

const KINDS: Partial<Record<ReadEntry['type'], EntryKind>> = {
  File: 'file',
  OldFile: 'file',
  ContiguousFile: 'file',
  Directory: 'directory',
  SymbolicLink: 'symlink',
  Link: 'hardlink',
  CharacterDevice: 'device',
  BlockDevice: 'device',
  FIFO: 'fifo',
};

export function readTarGz(archivePath: string, visit: EntryVisitor, hooks: ReaderHooks): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const source = createReadStream(archivePath);
    const gunzip = createGunzip();
    let failure: unknown = null;
    let inflated = 0;
    // The parser emits an entry only after the previous one ended, so chaining keeps archive order.
    let visits = Promise.resolve();
    const fail = (error: unknown): void => {
      if (failure !== null) return;
      failure = error;
      source.destroy();
      gunzip.destroy();
      reject(toAppError(error));
    };
    const parser = new Parser({
      strict: true,
      noResume: true,
      onReadEntry: (entry) => {
        visits = visits.then(async () => {
          if (failure !== null) return void entry.resume();
          try {
            const kind = KINDS[entry.type] ?? 'unsupported';
            const described: ArchiveEntry = { rawPath: entry.path, kind, mode: entry.mode, size: entry.size };
            if (entry.linkpath !== undefined && (kind === 'symlink' || kind === 'hardlink')) described.linkTarget = entry.linkpath;
            await visit(described, kind === 'file' ? () => Promise.resolve(entry) : null);
            entry.resume();
          } catch (error) {
            entry.resume();
            fail(error);
          }
        });
      },
    });
    gunzip.on('data', (chunk: Buffer) => {
      inflated += chunk.length;
      try {
        hooks.onInflated(inflated);
      } catch (error) {
        fail(error);
      }
    });
    source.on('error', fail);
    gunzip.on('error', fail);
    parser.on('error', fail);
    parser.on('end', () => {
      void visits.then(() => {
        if (failure === null) resolve();
      });
    });
    source.pipe(gunzip).pipe(parser);
  });
}

function toAppError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  return new AppError('ARCHIVE_UNREADABLE', `The tar.gz archive cannot be read: ${error instanceof Error ? error.message : String(error)}.`);
}
