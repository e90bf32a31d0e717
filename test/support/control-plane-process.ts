/**
 * The control plane's command line (services/main.ts) in a child process of its own, for tests
 * and benchmarks that need it out of process: it reports where it listens over the IPC channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isControlPlaneListening } from '../../protocol/control-plane-process.js';

const MAIN = fileURLToPath(new URL('../../services/main.ts', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface ControlPlaneProcess {
  url: string;
  /** The command line's own process (the primary, with --workers). */
  pid: number;
  /** The processes that serve requests, as it reported them when it started listening. */
  servingPids: number[];
  /** Everything it has written to stdout and stderr so far. */
  output(): string;
  /** CPU time used so far by it and every process it started, ms (Linux /proc). */
  cpuMs(): Promise<number>;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `services/main.ts` with `args` (plus `--port 0`) under Node with `nodeFlags`; secrets it
 * generates are kept in a fresh folder unless `args` name one (--data-dir).
 */
export async function startControlPlaneProcess(args: readonly string[], nodeFlags: readonly string[] = []): Promise<ControlPlaneProcess> {
  const child = fork(MAIN, ['--port', '0', ...args], {
    execArgv: [...nodeFlags, '--import', 'tsx'],
    env: { ...process.env, EDGEPLAY_DATA_DIR: mkdtempSync(join(tmpdir(), 'control-plane-data-')) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const listening = await new Promise<{ url: string; pids: number[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the control plane did not report listening within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the control plane exited before it listened (code ${code}, signal ${signal})`));
    });
    child.on('message', (message: unknown) => {
      if (!isControlPlaneListening(message)) return;
      clearTimeout(timer);
      resolve(message);
    });
  }).catch(async (error: unknown) => {
    await stop(child);
    throw new Error(`${(error as Error).message}\n${output}`, { cause: error });
  });

  return {
    url: listening.url,
    pid: child.pid ?? 0,
    servingPids: listening.pids,
    output: () => output,
    cpuMs: () => treeCpuMs(child.pid ?? 0),
    stop: () => stop(child),
  };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const [code] = await exited;
  clearTimeout(timer);
  return code;
}

/** Clock ticks per second of /proc's CPU times: USER_HZ, 100 on every Linux build we run on. */
const USER_HZ = 100;

async function treeCpuMs(pid: number): Promise<number> {
  let total = 0;
  try {
    // Fields after the command name (which may hold spaces), from field 3 on: utime and stime are fields 14 and 15.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
    const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    for (const child of children.split(' ').filter((word) => word !== '')) total += await treeCpuMs(Number(child));
  } catch {
    // The process has exited: its CPU time is no longer readable.
  }
  return total;
}
