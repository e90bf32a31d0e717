/**
 * The game's sound: a PulseAudio server of the session's own with a null sink, its socket shared
 * into the sandbox, and `parec` reading the sink's monitor as 10 ms chunks of 48 kHz stereo s16le,
 * the chunks a frames game would write. A node without PulseAudio streams the game silent.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { access, chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AUDIO_CHANNELS, AUDIO_CHUNK_BYTES, AUDIO_CHUNK_SAMPLES, AUDIO_FORMAT_S16_48K, AUDIO_SAMPLE_RATE, type AudioChunkHeader } from '../../protocol/game-protocol.js';
import { runningPids, startHelper, stopHelper } from './helper-process.js';

const SINK = 'game';
const SOCKET_WAIT_MS = 5000;

interface SoundSinkEvents {
  audio: [header: AudioChunkHeader, samples: Buffer];
}

export class SoundSink extends EventEmitter<SoundSinkEvents> {
  private reader: ChildProcess | undefined;
  private readonly chunk = Buffer.alloc(AUDIO_CHUNK_BYTES);
  private fill = 0;
  private chunkNumber = 0;

  private constructor(
    /** Holds the server's socket; mounted into the sandbox. */
    readonly dir: string,
    private readonly server: ChildProcess,
    private readonly options: { uid: number | undefined; logger: Logger },
  ) {
    super();
  }

  static async start(options: { dir: string; uid: number | undefined; logger: Logger }): Promise<SoundSink> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    if (options.uid !== undefined) await chown(options.dir, options.uid, options.uid);
    const server = startHelper({
      name: 'pulseaudio',
      command: 'pulseaudio',
      args: [
        '--daemonize=no', '--exit-idle-time=-1', '--disable-shm=yes', '-n', '--log-target=stderr',
        `--load=module-null-sink sink_name=${SINK} rate=${AUDIO_SAMPLE_RATE} channels=${AUDIO_CHANNELS}`,
        `--load=module-native-protocol-unix socket=${join(options.dir, 'native')} auth-anonymous=1`,
      ],
      uid: options.uid,
      env: { HOME: options.dir, XDG_RUNTIME_DIR: options.dir },
      logger: options.logger,
    });
    const sink = new SoundSink(options.dir, server, options);
    await sink.waitForSocket();
    sink.startReader();
    return sink;
  }

  /** What the game's environment needs to play into the sink, with the dir mounted at `mountedAt`. */
  static gameEnv(mountedAt: string): Record<string, string> {
    return { PULSE_SERVER: `unix:${mountedAt}/native`, SDL_AUDIODRIVER: 'pulse' };
  }

  /** The sound server and its recorder. */
  get pids(): number[] {
    return runningPids(this.server, this.reader);
  }

  async stop(): Promise<void> {
    if (this.reader) await stopHelper(this.reader);
    await stopHelper(this.server);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async waitForSocket(): Promise<void> {
    const deadline = Date.now() + SOCKET_WAIT_MS;
    for (;;) {
      if (await access(join(this.dir, 'native')).then(() => true, () => false)) return;
      if (Date.now() > deadline || this.server.exitCode !== null) throw new Error('the sound server did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private startReader(): void {
    this.reader = startHelper({
      name: 'parec',
      command: 'parec',
      args: ['-d', `${SINK}.monitor`, '--format=s16le', `--rate=${AUDIO_SAMPLE_RATE}`, `--channels=${AUDIO_CHANNELS}`, '--raw', '--latency-msec=10'],
      uid: this.options.uid,
      env: { PULSE_SERVER: `unix:${join(this.dir, 'native')}`, HOME: this.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
      logger: this.options.logger,
    });
    this.reader.stdout?.on('data', (data: Buffer) => this.push(data));
  }

  private push(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(AUDIO_CHUNK_BYTES - this.fill, data.length - offset);
      data.copy(this.chunk, this.fill, offset, offset + take);
      this.fill += take;
      offset += take;
      if (this.fill === AUDIO_CHUNK_BYTES) {
        this.fill = 0;
        const header: AudioChunkHeader = { samples: AUDIO_CHUNK_SAMPLES, channels: AUDIO_CHANNELS, format: AUDIO_FORMAT_S16_48K, chunkNumber: this.chunkNumber++, payloadLength: AUDIO_CHUNK_BYTES };
        this.emit('audio', header, this.chunk);
      }
    }
  }
}
