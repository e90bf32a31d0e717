/**
 * Builds delay-queue.c (the NFQUEUE listener that stands in for netem's delay) once per source
 * version, into the same cache as the mediasoup worker, and returns the binary's path.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SOURCE = fileURLToPath(new URL('./delay-queue.c', import.meta.url));

export async function delayQueueBinary(): Promise<string> {
  const source = await readFile(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const dir = join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'edgeplay');
  const binary = join(dir, `delay-queue-${hash}`);
  try {
    await access(binary);
    return binary;
  } catch {
    await mkdir(dir, { recursive: true });
    // Built aside and renamed, so a concurrent test never runs a half-written binary.
    const partial = `${binary}.${process.pid}`;
    await run('gcc', ['-O2', '-Wall', '-o', partial, SOURCE, '-lnetfilter_queue', '-lnfnetlink']);
    await rename(partial, binary);
    return binary;
  }
}
