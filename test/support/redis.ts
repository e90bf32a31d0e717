/**
 * A throwaway redis-server for integration tests: no persistence, on a free port, killed on
 * teardown; or (startPersistentRedis) one that keeps its data in an append-only file, as the
 * documented set-up does (infra/redis/redis.conf), for tests that restart it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
const START_ATTEMPTS = 3;
const READY_TIMEOUT_MS = 10_000;

export async function startRedis(): Promise<RedisServer> {
  return withFreshPorts(() => startRedisServer([]));
}

/** Retries `start` a few times: most often a start fails because another process took a port between freePort() and the bind. */
export async function withFreshPorts<T>(start: () => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await start();
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/**
 * A redis-server with the append-only file on (fsync every write, so a kill loses nothing), its
 * data in `dir`, on `port` (a free one when not given): start it again on the same dir and port
 * and it comes back with its data, as after a restart.
 */
export async function startPersistentRedis(dir: string, port?: number): Promise<RedisServer> {
  return startRedisServer(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], port);
}

/** A redis-server on a free port (or `port`), answering PING, with `extraArgs` added to the test defaults. */
export async function startRedisServer(extraArgs: readonly string[], fixedPort?: number): Promise<RedisServer> {
  const port = fixedPort ?? (await freePort());
  const child = spawn(
    REDIS_SERVER_BIN,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // A test process that dies of an uncaught error or process.exit() takes its server with it,
  // instead of leaving it holding memory and a port.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitForPing(url, child);
  } catch (error) {
    await kill(child);
    throw new Error(`redis-server on port ${port} did not start: ${(error as Error).message}\n${output}`, { cause: error });
  }
  return { url, port, stop: () => kill(child) };
}

async function waitForPing(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      // not listening yet
    } finally {
      client.disconnect();
    }
    await sleep(50);
  }
  throw new Error('no PONG in time');
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
