/**
 * Games from strangers' builds run in bubblewrap with their own user, cgroup and scratch
 * directory. The "games" here are shell and Debian tools in a build directory: what a hostile
 * build would try, without needing a real game.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GameExit } from '../../../edge-node/game/game-process.js';
import { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from '../../../edge-node/sandbox/sandbox-limits.js';
import { SandboxedGame } from '../../../edge-node/sandbox/sandboxed-game.js';

const logger = pino({ level: 'silent' });
let root: string;
let build: string;
let keyFile: string;
const running: SandboxedGame[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgeplay-sandbox-'));
  await chmod(root, 0o711);
  build = await mkdtemp(join(tmpdir(), 'edgeplay-build-'));
  await chmod(build, 0o755);
  // Readable by anyone on the host: only the sandbox's mounts keep a game from it.
  keyFile = join(root, 'node-key.pem');
  await writeFile(keyFile, 'PRIVATE KEY', { mode: 0o644 });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((game) => game.stop(0)));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(build, { recursive: true, force: true });
});

let scriptCount = 0;
async function runScript(script: string, options: { limits?: Partial<SandboxLimits>; network?: boolean; sessionId?: string } = {}): Promise<{ game: SandboxedGame; exit: Promise<GameExit>; log: string[] }> {
  const name = `script-${++scriptCount}.sh`;
  await writeFile(join(build, name), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  const game = await SandboxedGame.start({
    root,
    sessionId: options.sessionId ?? `s${scriptCount}`,
    buildDir: build,
    network: options.network ?? false,
    limits: { ...DEFAULT_SANDBOX_LIMITS, ...options.limits },
    logger,
    program: `/game/${name}`,
    width: 64,
    height: 64,
    fps: 10,
    latencyStrip: false,
  });
  running.push(game);
  const log: string[] = [];
  game.on('log', (line) => log.push(line));
  const exit = new Promise<GameExit>((resolve) => game.once('exit', resolve));
  return { game, exit, log };
}

describe('sandbox', () => {
  it('hides the node key file and everything else of the host', async () => {
    const { exit, log } = await runScript(`cat ${keyFile} >&2 || echo NO_KEY >&2; ls / >&2; ls /root >&2 || echo NO_ROOT >&2`);
    await exit;
    expect(log).toContain('NO_KEY');
    expect(log).toContain('NO_ROOT');
    expect(log.join('\n')).not.toContain('PRIVATE KEY');
  });

  it('gives no network unless the manifest asks for it', async () => {
    const server: Server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const connect = `node -e "require('net').connect(${port}, '127.0.0.1').on('connect', () => { console.error('CONNECTED'); process.exit(0) }).on('error', (e) => { console.error('REFUSED', e.code); process.exit(0) })"`;
    try {
      const closed = await runScript(connect);
      await closed.exit;
      expect(closed.log.some((l) => l.startsWith('REFUSED'))).toBe(true);
      const open = await runScript(connect, { network: true });
      await open.exit;
      expect(open.log).toContain('CONNECTED');
    } finally {
      server.close();
    }
  });

  it("cannot see another session's files", async () => {
    const a = await runScript('echo secret-of-a > /scratch/secret; echo WROTE >&2; sleep 30', { sessionId: 'session-a' });
    await expect.poll(() => a.log).toContain('WROTE');
    const b = await runScript(`ls -a /scratch >&2; cat ${join(root, 'session-a', 'secret')} >&2 || echo NOT_FOUND >&2; find / -name secret -not -path '/proc/*' | sed 's/^/FOUND /' >&2; echo DONE >&2`, { sessionId: 'session-b' });
    await b.exit;
    expect(b.log).toContain('NOT_FOUND');
    expect(b.log.join('\n')).not.toContain('secret-of-a');
    expect(b.log).toContain('DONE');
    expect(b.log.filter((l) => l.startsWith('FOUND'))).toEqual([]);
  });

  // Cgroups, user ids and tmpfs quotas need root; without it the sandbox falls back to rlimits, which these do not cover.
  const isRoot = process.getuid?.() === 0;
  it.runIf(isRoot)('stops a fork bomb with GAME_PROCESS_LIMIT while another game keeps running', async () => {
    const bystander = await runScript('while true; do sleep 0.1; done', { sessionId: 'bystander' });
    const bomb = await runScript('bomb() { bomb | bomb & }; bomb; sleep 30', { limits: { maxProcesses: 32 } });
    const exit = await bomb.exit;
    expect(exit.limit).toBe('GAME_PROCESS_LIMIT');
    const bystanderExit = await Promise.race([bystander.exit, new Promise((resolve) => setTimeout(() => resolve('running'), 500))]);
    expect(bystanderExit).toBe('running');
  });

  it.runIf(isRoot)('stops a game that eats memory with GAME_MEMORY_LIMIT', async () => {
    const { exit } = await runScript(`python3 -c "
a = []
while True: a.append(b'x' * 10_000_000)
"`, { limits: { memoryBytes: 96 * 1024 ** 2 } });
    expect((await exit).limit).toBe('GAME_MEMORY_LIMIT');
  });

  it.runIf(isRoot)('stops a game that fills its scratch quota with GAME_DISK_LIMIT', async () => {
    const { exit } = await runScript('dd if=/dev/zero of=/scratch/fill bs=1M count=100 2>/dev/null; sleep 30', { limits: { scratchBytes: 8 * 1024 ** 2 } });
    expect((await exit).limit).toBe('GAME_DISK_LIMIT');
  });
});
