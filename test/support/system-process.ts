/**
 * The system the benchmarks measure (control plane and one edge node with the demo game), in a
 * process of its own as `npm start` runs it, so that a benchmark's own work (the browser
 * automation, its stack traces and its garbage) does not share the node's event loop and heap.
 *
 * Run with child_process.fork and one argument, the JSON of SystemSpec. Sends `{ type: 'ready',
 * url }` once up; answers `{ type: 'stats' }` with the first session's video stats; closes on
 * `{ type: 'close' }` or when the parent goes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { DEMO_GAME_ID, demoGameLaunch } from '../../edge-node/game-library.js';
import type { VideoSourceStats } from '../../edge-node/media/video-source.js';
import { startLocalSystem } from '../../infra/local/system.js';

export interface SystemSpec {
  name: string;
  /** Default true, as the node's own default. */
  lowLatency?: boolean;
  cpuPriority?: boolean;
  /** The demo renders only on its 60 Hz clock. */
  fixedTick?: boolean;
  /** Default true. */
  latencyStrip?: boolean;
  /** The address the control plane and the node's media listen on (a namespace's link, say); default loopback. */
  host?: string;
}

type ParentMessage = { type: 'stats' } | { type: 'close' };
type ChildMessage = { type: 'ready'; url: string } | { type: 'stats'; stats: VideoSourceStats | null };

export interface SystemProcess {
  url: string;
  /** The video stats of the node's first session, null before one has started. */
  stats(): Promise<VideoSourceStats | null>;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

export async function startSystemProcess(spec: SystemSpec): Promise<SystemProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [JSON.stringify(spec)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (type: ChildMessage['type']): Promise<ChildMessage> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: ChildMessage): void => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message);
      };
      const onExit = (code: number | null): void => reject(new Error(`the bench's system process exited (code ${code}) before answering '${type}'`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const timeout = setTimeout(() => child.kill('SIGKILL'), READY_TIMEOUT_MS);
  const ready = await next('ready').finally(() => clearTimeout(timeout));
  return {
    url: (ready as Extract<ChildMessage, { type: 'ready' }>).url,
    async stats() {
      const answer = next('stats');
      child.send({ type: 'stats' } satisfies ParentMessage);
      return ((await answer) as Extract<ChildMessage, { type: 'stats' }>).stats;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.send({ type: 'close' } satisfies ParentMessage);
      await exited;
    },
  };
}

async function main(spec: SystemSpec): Promise<void> {
  const games = spec.fixedTick ? new Map([[DEMO_GAME_ID, demoGameLaunch({ fixedTick: true })]]) : undefined;
  const host = spec.host ? { host: spec.host, listenIp: spec.host } : {};
  const system = await startLocalSystem({
    logger: pino({ level: 'warn' }),
    ...(spec.host ? { controlPlane: { host: spec.host } } : {}),
    nodes: [
      {
        name: spec.name,
        slots: 1,
        latencyStrip: spec.latencyStrip ?? true,
        lowLatency: spec.lowLatency ?? true,
        cpuPriority: spec.cpuPriority ?? false,
        ...host,
        ...(games ? { games } : {}),
      },
    ],
  });
  const close = async (): Promise<void> => {
    await system.close();
    process.exit(0);
  };
  process.on('disconnect', () => void close());
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'close') void close();
    else process.send!({ type: 'stats', stats: [...system.nodes[0]!.sessions.values()][0]?.video.stats ?? null } satisfies ChildMessage);
  });
  process.send!({ type: 'ready', url: system.url } satisfies ChildMessage);
}

if (process.send && process.argv[2]) await main(JSON.parse(process.argv[2]) as SystemSpec);
