/**
 * Crafted build archives for tests: real tar.gz and zip bytes, including the hostile entries no
 * well-behaved packer would write (absolute paths, `..`, links out, devices, fifos).
 */
import { gzipSync } from 'node:zlib';
import { Header, type HeaderData } from 'tar';
import yazl from 'yazl';
import type { BuildManifest } from '../../protocol/build-manifest.js';

export interface CraftedEntry {
  path: string;
  type?: NonNullable<HeaderData['type']>;
  mode?: number;
  body?: Buffer | string;
  linkpath?: string;
}

/** A 1x1 PNG. */
export const TINY_PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e5270de10000000049454e44ae426082',
  'hex',
);

export function manifest(overrides: Partial<BuildManifest> = {}): BuildManifest {
  return {
    id: 'tiny-game',
    version: '1.0.0',
    title: 'Tiny Game',
    description: 'A test build.',
    runtime: 'x11',
    entry: 'bin/game',
    width: 640,
    height: 480,
    fps: 60,
    inputs: ['keyboard', 'mouse'],
    needs: { cpuCores: 1, memoryMb: 256, gpuMemoryMb: 0 },
    cover: 'cover.png',
    ...overrides,
  };
}

/** game.json, an executable entry and a cover: a build that passes every rule. */
export function gameEntries(game: Partial<BuildManifest> = {}, extra: CraftedEntry[] = []): CraftedEntry[] {
  const m = manifest(game);
  const entries: CraftedEntry[] = [
    { path: 'game.json', body: JSON.stringify(m) },
    { path: 'bin/', type: 'Directory', mode: 0o755 },
    { path: m.entry, mode: 0o755, body: '#!/bin/sh\nexec sleep 1000\n' },
  ];
  if (m.cover !== undefined) entries.push({ path: m.cover, body: TINY_PNG });
  return [...entries, ...extra];
}

export function tarGz(entries: CraftedEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
    const header = new Header({
      path: entry.path,
      type: entry.type ?? 'File',
      mode: entry.mode ?? 0o644,
      size: body.length,
      linkpath: entry.linkpath,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

const FILE_TYPES: Partial<Record<NonNullable<CraftedEntry['type']>, number>> = {
  File: 0o100000,
  SymbolicLink: 0o120000,
  CharacterDevice: 0o020000,
  FIFO: 0o010000,
};

/**
 * A zip archive. yazl refuses hostile names, so they are written as stand-ins of the same length
 * (`@@/` for `../`, a leading `@` for `/`) and patched into the headers afterwards.
 */
export function zip(entries: CraftedEntry[]): Promise<Buffer> {
  const archive = new yazl.ZipFile();
  const patches = new Map<string, string>();
  for (const entry of entries) {
    const name = entry.path.replaceAll('../', '@@/').replace(/^\//, '@');
    if (name !== entry.path) patches.set(name, entry.path);
    if (entry.type === 'Directory') {
      archive.addEmptyDirectory(name, { mode: 0o040000 | (entry.mode ?? 0o755) });
      continue;
    }
    const body = entry.type === 'SymbolicLink' ? Buffer.from(entry.linkpath ?? '') : Buffer.from(entry.body ?? '');
    const fileType = FILE_TYPES[entry.type ?? 'File'] ?? 0o100000;
    archive.addBuffer(body, name, { mode: fileType | (entry.mode ?? 0o644), compress: entry.type === undefined || entry.type === 'File' });
  }
  archive.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    archive.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    archive.outputStream.on('error', reject);
    archive.outputStream.on('end', () => resolve(patchNames(Buffer.concat(chunks), patches)));
  });
}

function patchNames(bytes: Buffer, patches: ReadonlyMap<string, string>): Buffer {
  let text = bytes.toString('latin1');
  for (const [standIn, name] of patches) text = text.replaceAll(standIn, name);
  return Buffer.from(text, 'latin1');
}
