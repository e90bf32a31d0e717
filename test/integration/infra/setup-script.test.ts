/**
 * infra/setup.sh stops, loudly, when a step fails (issue 15: a failed mediasoup worker build inside
 * $(...) in a log argument let it go on and exit 0). The real script runs in a scratch copy of the
 * repository whose build steps are stand-ins that fail or leave a mark.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../infra/local/system.js';

describe('infra/setup.sh', () => {
  let scratch: string | undefined;
  afterEach(async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  async function scratchRepo(workerBuild: string): Promise<string> {
    scratch = await mkdtemp(join(tmpdir(), 'setup-'));
    await mkdir(join(scratch, 'infra/mediasoup'), { recursive: true });
    await mkdir(join(scratch, 'node_modules'));
    await copyFile(join(repoRoot, 'infra/setup.sh'), join(scratch, 'infra/setup.sh'));
    await writeFile(join(scratch, 'package-lock.json'), '{}');
    // Newer than the lock file: the script takes the modules as installed.
    await writeFile(join(scratch, 'node_modules/.package-lock.json'), '{}');
    await writeFile(join(scratch, 'package.json'), JSON.stringify({ scripts: { build: 'touch built.mark' } }));
    await writeFile(join(scratch, 'infra/mediasoup/build-worker.sh'), workerBuild);
    await writeFile(join(scratch, 'infra/build-encoder.sh'), 'touch encoder.mark\n');
    await chmod(join(scratch, 'infra/setup.sh'), 0o755);
    return scratch;
  }

  it('fails, naming the step, when the mediasoup worker build fails', async () => {
    const repo = await scratchRepo('echo "compiling..." >&2\nexit 1\n');
    const run = spawnSync('bash', [join(repo, 'infra/setup.sh')], { cwd: repo, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/FAILED: building the mediasoup worker/);
    expect(existsSync(join(repo, 'encoder.mark'))).toBe(false);
    expect(existsSync(join(repo, 'built.mark'))).toBe(false);
  });

  it('goes on to the next steps when the worker build succeeds', async () => {
    const repo = await scratchRepo('printf "%s\\n" /bin/true\n');
    const run = spawnSync('bash', [join(repo, 'infra/setup.sh')], { cwd: repo, encoding: 'utf8' });
    expect(run.stderr).toContain('mediasoup worker: /bin/true');
    expect(run.status).toBe(0);
    expect(existsSync(join(repo, 'encoder.mark'))).toBe(true);
  });
});
