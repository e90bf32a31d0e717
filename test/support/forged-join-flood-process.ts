/**
 * Loads test/support/forged-join-flood.ts as a low-priority process of its own, as an attacker on
 * another host would be, and drives it: `flood(true)` floods, `flood(false)` pauses, `end()` stops
 * it and returns what the node answered.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./forged-join-flood.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface FloodResult {
  sent: number;
  answers: Record<string, number>;
  refusedConnections: number;
}

export interface ForgedJoinFlood {
  flood(on: boolean): void;
  end(): Promise<FloodResult>;
}

/** `address` is the loopback address the attacker's sockets come from (not the honest player's). */
export async function loadForgedJoinFlood(url: string, ticket: string, address: string, sockets: number): Promise<ForgedJoinFlood> {
  const child = spawn('nice', ['-n', '19', process.execPath, '--import', 'tsx', SCRIPT, url, ticket, address, String(sockets)], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the flood exited with ${code}`)));
    });
  const first = await next();
  if (first !== 'ready') throw new Error(`the flood said "${first}" instead of ready`);
  return {
    flood: (on) => child.stdin.write(on ? 'go\n' : 'pause\n'),
    end: async () => {
      child.stdin.write('end\n');
      return JSON.parse(await next()) as FloodResult;
    },
  };
}
