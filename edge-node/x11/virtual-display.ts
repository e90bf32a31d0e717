/**
 * A session's own X server (Xvfb): no TCP and no abstract socket, so only processes that are
 * given its socket file (the game, through its sandbox's mount) can connect to it.
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { runningPids, startHelper, stopHelper } from './helper-process.js';

const START_TIMEOUT_MS = 10_000;

export class VirtualDisplay {
  private constructor(
    readonly display: number,
    private readonly server: ChildProcess,
  ) {}

  static start(options: { width: number; height: number; uid: number | undefined; logger: Logger }): Promise<VirtualDisplay> {
    const server = startHelper({
      name: 'Xvfb',
      command: 'Xvfb',
      args: ['-displayfd', '3', '-screen', '0', `${options.width}x${options.height}x24`, '-nolisten', 'tcp', '-nolisten', 'local', '-noreset', '+extension', 'MIT-SHM'],
      uid: options.uid,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      logger: options.logger,
    });
    return new Promise((resolve, reject) => {
      let output = '';
      const fail = (why: string): void => {
        clearTimeout(timer);
        void stopHelper(server);
        reject(new Error(`Xvfb did not start: ${why}`));
      };
      const timer = setTimeout(() => fail('timed out'), START_TIMEOUT_MS);
      server.once('exit', (code) => fail(`exited with ${code}`));
      server.once('error', (error) => fail(error.message));
      const fd = server.stdio[3] as NodeJS.ReadableStream;
      fd.setEncoding('utf8');
      fd.on('data', (chunk: string) => {
        output += chunk;
        if (!output.includes('\n')) return;
        clearTimeout(timer);
        server.removeAllListeners('exit');
        resolve(new VirtualDisplay(Number(output.trim()), server));
      });
    });
  }

  get name(): string {
    return `:${this.display}`;
  }

  /** The socket the game's sandbox mounts at the same path. */
  get socketPath(): string {
    return `/tmp/.X11-unix/X${this.display}`;
  }

  get pids(): number[] {
    return runningPids(this.server);
  }

  stop(): Promise<void> {
    return stopHelper(this.server);
  }
}
