/**
 * An edge node's command line (edge-node/main.ts) in a process of its own, for tests and
 * benchmarks that kill it as a crash or a pulled plug would (SIGKILL: no goodbye, no end reports).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../edge-node/main.ts', import.meta.url));
const READY_TIMEOUT_MS = 60_000;

/** Nodes still running when this process exits die with it: one exit listener for them all. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface EdgeNodeProcessOptions {
  controlPlaneUrl: string;
  operatorToken: string;
  /** The node key: the same path again is the same node (a restart). */
  keyPath: string;
  name: string;
  slots?: number;
  location?: { lat: number; lng: number };
  /** More command-line options (--build-cache, --build-origin, ...). */
  extraArgs?: string[];
}

export interface EdgeNodeProcess {
  nodeId: string;
  signallingUrl: string;
  pid: number;
  output(): string;
  /** SIGKILL, and resolves once it is gone. */
  kill(): Promise<void>;
  /** SIGTERM (a clean shutdown), and resolves once it is gone. */
  stop(): Promise<void>;
}

export async function startEdgeNodeProcess(options: EdgeNodeProcessOptions): Promise<EdgeNodeProcess> {
  const { lat, lng } = options.location ?? { lat: 52.52, lng: 13.405 };
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      MAIN,
      ...['--control-plane', options.controlPlaneUrl, '--operator-token', options.operatorToken],
      ...['--lat', String(lat), '--lng', String(lng), '--name', options.name, '--key', options.keyPath, '--slots', String(options.slots ?? 1)],
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ready = await new Promise<{ nodeId: string; signallingUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the edge node did not start within ${READY_TIMEOUT_MS} ms\n${output}`)), READY_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the edge node exited (code ${code}) before it served\n${output}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.includes('edge node is serving players')) continue;
        const { nodeId, signallingUrl } = JSON.parse(line) as { nodeId: string; signallingUrl: string };
        clearTimeout(timer);
        resolve({ nodeId, signallingUrl });
      }
    });
  });
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(name);
    await exited;
  };
  return { ...ready, pid: child.pid ?? 0, output: () => output, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
}

