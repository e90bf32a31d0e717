/**
 * The studio CLI as a studio runs it, against a real control plane: sign-up (key saved 0600), pack,
 * an upload interrupted with Ctrl+C and resumed by running the command again, publish, channels,
 * rollback, builds.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GameList } from '../../../protocol/http.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { manifest, TINY_PNG } from '../../support/build-archives.js';
import { StudioCli, type StudioCliRun } from '../../support/studio-cli.js';
import { api } from '../services/helpers/http.js';

// Each command is a fresh Node process loading TypeScript through tsx: seconds apiece on a shared two-core machine.
describe('edgeplay-studio CLI', { timeout: 120_000 }, () => {
  let controlPlane: ControlPlane;
  let work: string;
  let configFile: string;
  let studio: StudioCli;
  const cli = (args: string[]): Promise<StudioCliRun> => studio.run(args);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgeplay-cli-'));
    configFile = join(work, 'config', 'studio.json');
    studio = new StudioCli(configFile);
    controlPlane = await createControlPlane({ logger: { level: 'silent' }, dataDir: join(work, 'data') });
  });

  afterAll(async () => {
    await controlPlane?.close();
    await rm(work, { recursive: true, force: true });
  });

  async function gameFolder(version: string, blobBytes = 0): Promise<string> {
    const folder = join(work, `game-${version}`);
    await mkdir(join(folder, 'bin'), { recursive: true });
    await writeFile(join(folder, 'game.json'), JSON.stringify(manifest({ id: 'cli-game', version, title: `CLI Game ${version}` })));
    await writeFile(join(folder, 'bin', 'game'), '#!/bin/sh\nexec sleep 1000\n');
    await chmod(join(folder, 'bin', 'game'), 0o755);
    await writeFile(join(folder, 'cover.png'), TINY_PNG);
    if (blobBytes > 0) await writeFile(join(folder, 'blob'), randomBytes(blobBytes));
    return folder;
  }

  it('signs up and keeps the key in a file only its owner can read', async () => {
    const run = await cli(['signup', 'CLI Studio', '--control-plane', controlPlane.url]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((await stat(configFile)).mode & 0o777).toBe(0o600);
    const config = JSON.parse(await readFile(configFile, 'utf8')) as { apiKey: string; controlPlane: string };
    expect(config).toMatchObject({ controlPlane: controlPlane.url, apiKey: expect.stringMatching(/^eps_/) });

    const login = await cli(['login', '--control-plane', controlPlane.url, '--key', config.apiKey]);
    expect(login.stdout).toContain('Logged in as CLI Studio');
    const forged = await cli(['login', '--control-plane', controlPlane.url, '--key', 'eps_forged']);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('API_KEY_INVALID');
  });

  it('packs, uploads (interrupted by Ctrl+C, then resumed), publishes and lists builds', async () => {
    const archive = join(work, 'v1.tar.gz');
    const packed = await cli(['pack', await gameFolder('1.0.0', 24 * 1024 ** 2), archive]);
    expect(packed.stdout).toContain('cli-game 1.0.0');

    const interrupted = await studio.uploadInterrupted(archive);
    expect(interrupted.stdout).toContain('Run the same command again to resume');
    const offset = await studio.serverOffset((await studio.uploadUrl()) as string);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan((await stat(archive)).size);

    const resumed = await cli(['upload', archive, '--chunk-mb', '1']);
    expect(resumed.stderr).not.toContain('error');
    expect(resumed.stdout).toMatch(/Uploaded cli-game 1\.0\.0: build [a-f0-9]{64}/);
    expect(await studio.uploadUrl()).toBeUndefined();
    const again = await cli(['upload', archive]);
    expect(again.stdout).toContain('Already uploaded');

    const published = await cli(['publish', 'cli-game', '1.0.0']);
    expect(published.stdout).toMatch(/stable\s+-> 1\.0\.0/);
    const games = await api<GameList>(controlPlane.url, '/v1/games');
    expect(games.body.games.find((game) => game.id === 'cli-game')?.title).toBe('CLI Game 1.0.0');

    const builds = await cli(['builds']);
    expect(builds.stdout).toContain('cli-game 1.0.0');
  });

  it('moves a channel forward and rolls it back', async () => {
    const archive = join(work, 'v2.zip.tar.gz');
    await cli(['pack', await gameFolder('2.0.0'), archive]);
    expect((await cli(['upload', archive])).stdout).toContain('Uploaded cli-game 2.0.0');
    expect((await cli(['publish', 'cli-game', '2.0.0', '--channel', 'beta'])).stdout).toMatch(/beta\s+-> 2\.0\.0/);
    expect((await cli(['channels', 'cli-game', '--move', 'stable=2.0.0'])).stdout).toMatch(/stable\s+-> 2\.0\.0\s+\(before: 1\.0\.0\)/);
    expect((await cli(['rollback', 'cli-game'])).stdout).toMatch(/stable\s+-> 1\.0\.0/);
    const refused = await cli(['rollback', 'cli-game']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('CHANNEL_NOT_FOUND');
  });

  it('refuses a bad archive before sending it', async () => {
    const folder = await gameFolder('3.0.0');
    await chmod(join(folder, 'bin', 'game'), 0o644);
    const archive = join(work, 'bad.tar.gz');
    const packed = await cli(['pack', folder, archive]);
    expect(packed.code).toBe(1);
    expect(packed.stderr).toContain('MANIFEST_ENTRY_NOT_EXECUTABLE');
    const uploaded = await cli(['upload', archive]);
    expect(uploaded.stderr).toContain('MANIFEST_ENTRY_NOT_EXECUTABLE');
  });
});
