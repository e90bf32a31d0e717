/**
 * mediasoup reads MEDIASOUP_WORKER_BIN once, when its module loads, so the worker binary is
 * resolved here before the first import: an explicit env value wins; otherwise our build script
 * answers with mediasoup's own binary or the one it built (and cached) against Debian's libraries.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const buildScript = fileURLToPath(new URL('../../infra/mediasoup/build-worker.sh', import.meta.url));

export function resolveWorkerBinary(): string {
  const fromEnv = process.env['MEDIASOUP_WORKER_BIN'];
  if (fromEnv) return fromEnv;
  const output = execFileSync('bash', [buildScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const path = output.trim().split('\n').at(-1);
  if (!path) throw new Error('infra/mediasoup/build-worker.sh printed no worker path');
  return path;
}

export async function loadMediasoup(): Promise<typeof import('mediasoup')> {
  process.env['MEDIASOUP_WORKER_BIN'] = resolveWorkerBinary();
  return import('mediasoup');
}
