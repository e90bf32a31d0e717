/**
 * edgeplay-studio: a studio's command line. `npx edgeplay-studio --help` (or `npm run studio -- --help`).
 * Every refusal prints its code and message and exits 1.
 */
import { stat } from 'node:fs/promises';
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { inspectBuildArchive } from '../protocol/build-archive.js';
import { sha256OfFile } from '../protocol/build-hash.js';
import { DEFAULT_CHANNEL, type GameReleases, type StudioBuild, type StudioBuildList, type StudioCreated, type StudioOverview } from '../protocol/studio.js';
import { packGame } from './pack.js';
import { StudioApi, StudioApiError } from './studio-api.js';
import { configPath, readConfig, uploadKey, writeConfig, type StudioConfig } from './studio-config.js';
import { DEFAULT_CHUNK_BYTES, uploadArchive, UploadRefused } from './uploader.js';

const print = (line = ''): void => void process.stdout.write(`${line}\n`);

async function loggedIn(): Promise<{ api: StudioApi; config: StudioConfig }> {
  const config = await readConfig();
  if (config.controlPlane === undefined || config.apiKey === undefined) throw new Error('Not logged in: run `edgeplay-studio login` first.');
  return { api: new StudioApi(config.controlPlane, config.apiKey), config };
}

function printReleases({ gameId, versions, channels }: GameReleases): void {
  print(`${gameId}`);
  for (const { channel, version, previous } of channels) print(`  ${channel.padEnd(10)} -> ${version}${previous.length ? `   (before: ${previous.join(', ')})` : ''}`);
  for (const { version, buildId, publishedAt } of versions) print(`  ${version.padEnd(16)} ${buildId.slice(0, 12)}  ${publishedAt === undefined ? 'unpublished' : `published ${new Date(publishedAt).toISOString()}`}`);
}

function printBuild(build: StudioBuild): void {
  const held = build.nodes.length === 0 ? 'on no node yet' : `on ${build.nodes.map((node) => node.name).join(', ')}`;
  print(`${build.buildId}  ${build.gameId} ${build.version}  ${(build.sizeBytes / 1e6).toFixed(1)} MB  ${held}`);
}

const program = new Command('edgeplay-studio').description('Upload and publish games on EdgePlay');

program
  .command('signup')
  .description('create a studio (where sign-up is open) and log in with its first key')
  .argument('<name>', 'the studio name')
  .requiredOption('--control-plane <url>', 'the control plane, e.g. http://127.0.0.1:8080')
  .option('--signup-token <token>', 'the token the control plane asks for, when sign-up is closed')
  .action(async (name: string, options: { controlPlane: string; signupToken?: string }) => {
    const created = await new StudioApi(options.controlPlane, options.signupToken).post<StudioCreated>('/v1/studios', { name });
    await writeConfig({ ...(await readConfig()), controlPlane: options.controlPlane, apiKey: created.key });
    print(`Studio ${created.studio.name} (${created.studio.studioId}) created; its key is saved in ${configPath()}.`);
  });

program
  .command('login')
  .description('check an API key and save it (file mode 0600)')
  .requiredOption('--control-plane <url>', 'the control plane, e.g. https://control.example')
  .requiredOption('--key <key>', 'the studio API key (eps_...)')
  .action(async (options: { controlPlane: string; key: string }) => {
    const overview = await new StudioApi(options.controlPlane, options.key).get<StudioOverview>('/v1/studio');
    await writeConfig({ ...(await readConfig()), controlPlane: options.controlPlane, apiKey: options.key });
    print(`Logged in as ${overview.studio.name}; the key is saved in ${configPath()}.`);
  });

program
  .command('pack')
  .description('pack a game folder (game.json at its root) into a build archive')
  .argument('<folder>')
  .argument('[archive]', 'the archive to write', 'build.tar.gz')
  .action(async (folder: string, archive: string) => {
    await packGame(folder, archive);
    const inspection = await inspectBuildArchive(archive);
    print(`${archive}: ${inspection.manifest.id} ${inspection.manifest.version}, ${inspection.entryCount} entries`);
  });

program
  .command('upload')
  .description('upload a build archive (tar.gz or zip); run it again to resume an interrupted upload')
  .argument('<archive>')
  .option('--chunk-mb <mb>', 'send this many MB per request (smaller loses less to a dropped connection)', Number, DEFAULT_CHUNK_BYTES / 1024 ** 2)
  .action(async (archive: string, options: { chunkMb: number }) => {
    const { api, config } = await loggedIn();
    // The same rules the control plane applies, checked here first so a bad archive fails before any byte is sent.
    const inspection = await inspectBuildArchive(archive);
    const sha256 = await sha256OfFile(archive);
    const existing = await api.find<StudioBuild>(`/v1/studio/builds/${sha256}`, 'BUILD_NOT_FOUND');
    if (existing !== null) {
      print(`Already uploaded: ${inspection.manifest.id} ${inspection.manifest.version} is build ${sha256}.`);
      return;
    }
    const key = uploadKey(api.controlPlane, sha256);
    const resumeUrl = config.uploads[key];
    const size = (await stat(archive)).size;
    const bar = new SingleBar({ format: 'uploading [{bar}] {percentage}% | {value}/{total} bytes | {eta}s left', stream: process.stderr }, Presets.shades_classic);
    bar.start(size, 0);
    const interrupt = new AbortController();
    process.once('SIGINT', () => interrupt.abort(new Error('interrupted')));
    try {
      const { buildId } = await uploadArchive({
        controlPlane: api.controlPlane,
        apiKey: config.apiKey as string,
        path: archive,
        sha256,
        ...(resumeUrl === undefined ? {} : { resumeUrl }),
        signal: interrupt.signal,
        chunkSize: Math.max(1, Math.round(options.chunkMb * 1024 ** 2)),
        onProgress: (sent) => bar.update(sent),
        onUploadUrl: (url) => void writeConfig({ ...config, uploads: { ...config.uploads, [key]: url } }),
      });
      bar.stop();
      const latest = await readConfig();
      delete latest.uploads[key];
      await writeConfig(latest);
      print(`Uploaded ${inspection.manifest.id} ${inspection.manifest.version}: build ${buildId}`);
      print(`Publish it with: edgeplay-studio publish ${inspection.manifest.id} ${inspection.manifest.version}`);
    } catch (error) {
      bar.stop();
      if (interrupt.signal.aborted) {
        print('Interrupted. Run the same command again to resume where it stopped.');
        process.exitCode = 130;
        return;
      }
      throw error;
    }
  });

program
  .command('publish')
  .description('publish an uploaded version and point a channel at it')
  .argument('<game>')
  .argument('<version>')
  .option('--channel <channel>', 'the channel to point at it', DEFAULT_CHANNEL)
  .action(async (game: string, version: string, options: { channel: string }) => {
    const { api } = await loggedIn();
    printReleases(await api.post<GameReleases>(`/v1/studio/games/${game}/versions/${version}/publish`, { channel: options.channel }));
  });

program
  .command('channels')
  .description("show a game's versions and channels, or move a channel with --move <channel>=<version>")
  .argument('<game>')
  .option('--move <channel=version>', 'point a channel at a published version')
  .action(async (game: string, options: { move?: string }) => {
    const { api } = await loggedIn();
    if (options.move === undefined) return printReleases(await api.get<GameReleases>(`/v1/studio/games/${game}`));
    const [channel, version] = options.move.split('=');
    if (!channel || !version) throw new Error('--move takes <channel>=<version>, e.g. stable=1.2.0');
    printReleases(await api.put<GameReleases>(`/v1/studio/games/${game}/channels/${channel}`, { version }));
  });

program
  .command('rollback')
  .description('point a channel back at the version it pointed at before')
  .argument('<game>')
  .option('--channel <channel>', 'the channel to roll back', DEFAULT_CHANNEL)
  .action(async (game: string, options: { channel: string }) => {
    const { api } = await loggedIn();
    printReleases(await api.post<GameReleases>(`/v1/studio/games/${game}/channels/${options.channel}/rollback`));
  });

program
  .command('builds')
  .description("list the studio's builds and the edge nodes that hold each")
  .action(async () => {
    const { api } = await loggedIn();
    const { builds } = await api.get<StudioBuildList>('/v1/studio/builds');
    if (builds.length === 0) print('No builds yet.');
    builds.forEach(printBuild);
  });

try {
  await program.parseAsync();
} catch (error) {
  const coded = error instanceof StudioApiError || error instanceof UploadRefused || (error instanceof Error && 'code' in error && typeof error.code === 'string');
  process.stderr.write(`${coded ? `error ${(error as { code: string }).code}: ` : 'error: '}${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
