import { mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ARCHIVE_LIMITS, extractBuildArchive, inspectBuildArchive, type ArchiveLimits } from '../../../protocol/build-archive.js';
import { codeOf } from '../../support/error-code.js';
import { gameEntries, manifest, tarGz, zip, TINY_PNG, type CraftedEntry } from '../../support/build-archives.js';

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'build-archive-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const formats = {
  'tar.gz': (entries: CraftedEntry[]) => Promise.resolve(tarGz(entries)),
  zip,
} as const;

async function archiveFile(format: keyof typeof formats, entries: CraftedEntry[]): Promise<string> {
  const path = join(dir, `archive-${++counter}.${format}`);
  await writeFile(path, await formats[format](entries));
  return path;
}

/** Inspects and extracts the archive; both must refuse with the same code, and extraction must leave nothing. */
async function refusal(format: keyof typeof formats, entries: CraftedEntry[], limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<string> {
  const path = await archiveFile(format, entries);
  const inspected = await codeOf(inspectBuildArchive(path, limits));
  const destination = join(dir, `out-${++counter}`);
  const extracted = await codeOf(extractBuildArchive(path, destination, limits));
  expect(extracted).toBe(inspected);
  const leftovers = (await readdir(dir)).filter((name) => name.startsWith(`out-${counter}`));
  expect(leftovers).toEqual([]);
  return inspected;
}

describe.each(Object.keys(formats) as (keyof typeof formats)[])('build archive (%s)', (format) => {
  it('inspects and unpacks a good build: manifest, cover, executable entry, links inside', async () => {
    const path = await archiveFile(format, gameEntries({ entry: 'run' }, [
      { path: 'bin/game', mode: 0o4755, body: 'binary' },
      { path: 'run', type: 'SymbolicLink', linkpath: 'bin/game' },
      { path: 'share/data/level.txt', body: 'level 1' },
      { path: 'share/up', type: 'SymbolicLink', linkpath: '../bin' },
    ]).filter((entry) => entry.path !== 'run' || entry.type === 'SymbolicLink'));
    const inspection = await inspectBuildArchive(path);
    expect(inspection.format).toBe(format);
    expect(inspection.manifest).toEqual(manifest({ entry: 'run' }));
    expect(inspection.cover?.contentType).toBe('image/png');
    expect(inspection.cover?.bytes.equals(TINY_PNG)).toBe(true);

    const destination = join(dir, `good-${format}`);
    const extracted = await extractBuildArchive(path, destination);
    expect(extracted.manifest.id).toBe('tiny-game');
    expect(await readFile(join(destination, 'share/data/level.txt'), 'utf8')).toBe('level 1');
    expect(await readlink(join(destination, 'run'))).toBe('bin/game');
    // Execute bits survive; setuid does not.
    expect((await stat(join(destination, 'bin/game'))).mode & 0o7777).toBe(0o755);
    expect((await readdir(dir)).filter((name) => name.includes('.partial-'))).toEqual([]);
    await expect(codeOf(extractBuildArchive(path, join(destination, 'share')))).resolves.not.toBe('accepted');
  });

  it.each([
    ['../evil.sh', 'ARCHIVE_PATH_TRAVERSAL'],
    ['bin/../../evil.sh', 'ARCHIVE_PATH_TRAVERSAL'],
    ['/etc/evil.sh', 'ARCHIVE_ABSOLUTE_PATH'],
  ])('refuses the entry path %s', async (path, code) => {
    expect(await refusal(format, gameEntries({}, [{ path, body: 'x' }]))).toBe(code);
  });

  it.each([
    ['climbing out', '../../etc/passwd'],
    ['absolute', '/etc/passwd'],
  ])('refuses a symbolic link %s', async (_, linkpath) => {
    expect(await refusal(format, gameEntries({}, [{ path: 'share/passwd', type: 'SymbolicLink', linkpath }]))).toBe('ARCHIVE_LINK_OUTSIDE');
  });

  it('refuses a chain of links that only looks inside when read as text', async () => {
    // a/l is the root; b = a/l/.. is the root's parent once the kernel follows a/l.
    const entries = gameEntries({}, [
      { path: 'a/l', type: 'SymbolicLink', linkpath: '..' },
      { path: 'b', type: 'SymbolicLink', linkpath: 'a/l/..' },
    ]);
    expect(await refusal(format, entries)).toBe('ARCHIVE_LINK_OUTSIDE');
  });

  it('refuses an entry written through a link', async () => {
    const entries = gameEntries({}, [
      { path: 'out', type: 'SymbolicLink', linkpath: 'bin' },
      { path: 'out/payload', body: 'x' },
    ]);
    expect(await refusal(format, entries)).toBe('ARCHIVE_ENTRY_CONFLICT');
  });

  it.each([
    ['CharacterDevice', 'ARCHIVE_SPECIAL_FILE'],
    ['FIFO', 'ARCHIVE_SPECIAL_FILE'],
  ] as const)('refuses a %s entry', async (type, code) => {
    expect(await refusal(format, gameEntries({}, [{ path: 'dev/thing', type }]))).toBe(code);
  });

  it('refuses more entries than the bound', async () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ path: `data/${i}.txt`, body: String(i) }));
    expect(await refusal(format, gameEntries({}, many), { maxEntries: 8, maxExpandedBytes: 1024 ** 2 })).toBe('ARCHIVE_TOO_MANY_ENTRIES');
  });

  it('refuses an archive that expands past the bound (a bomb)', async () => {
    const zeros = Buffer.alloc(16 * 1024 ** 2);
    expect(await refusal(format, gameEntries({}, [{ path: 'data/zeros', body: zeros }]), { maxEntries: 100, maxExpandedBytes: 4 * 1024 ** 2 })).toBe(
      'ARCHIVE_TOO_LARGE',
    );
  });

  it('refuses an entry twice', async () => {
    expect(await refusal(format, gameEntries({}, [{ path: 'bin/game', mode: 0o755, body: 'again' }]))).toBe('ARCHIVE_ENTRY_CONFLICT');
  });

  it('refuses an archive without game.json at its root', async () => {
    const entries = gameEntries().map((entry) => (entry.path === 'game.json' ? { ...entry, path: 'nested/game.json' } : entry));
    expect(await refusal(format, entries)).toBe('MANIFEST_MISSING');
  });

  it.each([
    ['not JSON', '{"id": '],
    ['a version that is not semver', JSON.stringify(manifest({ version: 'v1' }))],
    ['an unknown runtime', JSON.stringify({ ...manifest(), runtime: 'dos' })],
    ['an entry outside the archive', JSON.stringify(manifest({ entry: '../bin/sh' }))],
    ['an unknown field', JSON.stringify({ ...manifest(), extra: true })],
  ])('refuses a manifest with %s', async (_, text) => {
    const entries = gameEntries().map((entry) => (entry.path === 'game.json' ? { ...entry, body: text } : entry));
    expect(await refusal(format, entries)).toBe('MANIFEST_INVALID');
  });

  it('refuses a manifest whose entry point is missing', async () => {
    expect(await refusal(format, gameEntries().filter((entry) => entry.path !== 'bin/game'))).toBe('MANIFEST_ENTRY_MISSING');
  });

  it('refuses a manifest whose entry point is not executable', async () => {
    const entries = gameEntries().map((entry) => (entry.path === 'bin/game' ? { ...entry, mode: 0o644 } : entry));
    expect(await refusal(format, entries)).toBe('MANIFEST_ENTRY_NOT_EXECUTABLE');
  });

  it('refuses a cover that is not an image', async () => {
    const entries = gameEntries().map((entry) => (entry.path === 'cover.png' ? { ...entry, body: 'not a png' } : entry));
    expect(await codeOf(inspectBuildArchive(await archiveFile(format, entries)))).toBe('MANIFEST_COVER_INVALID');
  });

  it('finds a cover that comes before game.json', async () => {
    const entries = gameEntries();
    const reordered = [...entries.filter((entry) => entry.path === 'cover.png'), ...entries.filter((entry) => entry.path !== 'cover.png')];
    const inspection = await inspectBuildArchive(await archiveFile(format, reordered));
    expect(inspection.cover?.bytes.equals(TINY_PNG)).toBe(true);
  });
});

describe('tar-only entries', () => {
  it('refuses a hard link out of the archive', async () => {
    expect(await refusal('tar.gz', gameEntries({}, [{ path: 'shadow', type: 'Link', linkpath: '../../etc/shadow' }]))).toBe('ARCHIVE_LINK_OUTSIDE');
  });

  it('unpacks a hard link to a file in the archive', async () => {
    const path = await archiveFile('tar.gz', gameEntries({}, [{ path: 'bin/game-copy', type: 'Link', linkpath: 'bin/game' }]));
    const destination = join(dir, 'hardlink');
    await extractBuildArchive(path, destination);
    expect((await stat(join(destination, 'bin/game-copy'))).ino).toBe((await stat(join(destination, 'bin/game'))).ino);
  });

  it('refuses bytes that are neither tar.gz nor zip', async () => {
    const path = join(dir, 'garbage.bin');
    await writeFile(path, 'this is not an archive');
    expect(await codeOf(inspectBuildArchive(path))).toBe('ARCHIVE_UNREADABLE');
  });

  it('refuses a truncated archive', async () => {
    const whole = tarGz(gameEntries({}, [{ path: 'data/blob', body: Buffer.alloc(100_000, 7) }]));
    const path = join(dir, 'truncated.tar.gz');
    await writeFile(path, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(await codeOf(inspectBuildArchive(path))).toBe('ARCHIVE_UNREADABLE');
  });
});
