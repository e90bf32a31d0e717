/**
 * CPU priority reaches every process that serves a player in a studio's session, not only the
 * node and its media worker (issue 14): a sandboxed frames game and everything an x11 session runs
 * (Xvfb, the ffmpeg capture, the xdotool injector, the PulseAudio sink, the game in its sandbox).
 * With cgroups each sits in a group whose top-level ancestor carries the node's weight (the x11
 * helpers in their session's part of the node's group, the game in its own sandbox group, whose
 * CPU limit still applies); without cgroups each thread has the node's nice value, PulseAudio's
 * too, which resets its own. Read from /proc and the cgroup files of the real processes, with a
 * real edge node running Debian's lbreakout2 as a studio build.
 */
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../../infra/local/system.js';
import { extractBuildArchive } from '../../../protocol/build-archive.js';
import type { RunningGame } from '../../../edge-node/game/running-game.js';
import { CpuPriority, cpuShares } from '../../../edge-node/priority/cpu-priority.js';
import { DEFAULT_SANDBOX_LIMITS } from '../../../edge-node/sandbox/sandbox-limits.js';
import { SandboxedGame } from '../../../edge-node/sandbox/sandboxed-game.js';
import { X11Game } from '../../../edge-node/x11/x11-game.js';
import { createSession } from '../../support/api.js';
import { debianGameArchive } from '../../support/debian-game-build.js';
import { cpuCgroupOf, threadNices } from '../../support/process-priority.js';
import { connectSignalling, type TestSignallingClient } from '../../support/signalling-client.js';
import { api } from '../services/helpers/http.js';
import { signUp, upload, writeArchive } from '../services/helpers/studio.js';

const logger = pino({ level: process.env['DEBUG_LOG'] ?? 'silent' });
const X11_HELPERS = ['Xvfb', 'ffmpeg', 'xdotool', 'pulseaudio'];

interface Proc {
  pid: number;
  comm: string;
}

/** Every process descended from this one, with its command name. */
async function descendants(): Promise<Proc[]> {
  const all: (Proc & { ppid: number })[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    all.push({ pid: Number(entry), comm, ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) });
  }
  const found: Proc[] = [];
  const parents = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const proc of all) {
      if (parents.has(proc.ppid) && !parents.has(proc.pid)) {
        parents.add(proc.pid);
        found.push({ pid: proc.pid, comm: proc.comm });
        grew = true;
      }
    }
  }
  return found;
}

/** The weight of the process's top-level group (below the root): what it competes with the rig's other work by. */
async function topLevelWeight(pid: number): Promise<{ value: number; v1: boolean; dir: string }> {
  const { path, dir, v1 } = await cpuCgroupOf(pid);
  const top = path.split('/').filter(Boolean)[0];
  if (top === undefined) return { value: v1 ? 1024 : 100, v1, dir };
  const mount = dir.slice(0, dir.length - path.length);
  return { value: Number(await readFile(join(mount, top, v1 ? 'cpu.shares' : 'cpu.weight'), 'utf8')), v1, dir };
}

let dir: string;
let x11Build: { dir: string; entry: string };
let scriptBuild: string;
let priority: CpuPriority | undefined;
let game: RunningGame | undefined;
let system: LocalSystem | undefined;
let player: TestSignallingClient | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeplay-session-priority-'));
  await chmod(dir, 0o711);
  const { archive, manifest } = debianGameArchive();
  await writeFile(join(dir, 'archive.tar.gz'), archive);
  await extractBuildArchive(join(dir, 'archive.tar.gz'), join(dir, 'build'));
  x11Build = { dir: join(dir, 'build'), entry: manifest.entry };
  scriptBuild = join(dir, 'script');
  await extractBuildArchive(join(dir, 'archive.tar.gz'), scriptBuild);
  // A frames game that starts a helper process of its own, as real games do.
  await writeFile(join(scriptBuild, 'spawner.sh'), '#!/bin/sh\nsleep 600 &\nexec sleep 600\n', { mode: 0o755 });
});

afterEach(async () => {
  player?.close();
  player = undefined;
  await system?.close();
  system = undefined;
  await game?.stop(200);
  game = undefined;
  await priority?.close();
  priority = undefined;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Gives this process the node's priority, as the node gives its own, so that what it starts is the node's. */
async function nodePriority(mechanisms: ('cgroup-v2' | 'cgroup-v1' | 'nice')[]): Promise<CpuPriority> {
  priority = await CpuPriority.start({ logger, mechanisms, nice: -6, groupName: `edgeplay-session-prio-${process.pid}` });
  if (priority.mechanism !== null) await priority.apply(process.pid, 'node');
  return priority;
}

function sandbox(sessionId: string, cpuWeight: number | null) {
  return { root: join(dir, 'sandboxes'), sessionId, network: false, limits: DEFAULT_SANDBOX_LIMITS, logger, ...(cpuWeight === null ? {} : { cpuWeight }), latencyStrip: false };
}

async function startX11(cpuWeight: number | null): Promise<X11Game> {
  const x11 = await X11Game.start({ ...sandbox('x11-prio', cpuWeight), buildDir: x11Build.dir, program: `/game/${x11Build.entry}`, width: 640, height: 480, fps: 30 });
  game = x11;
  await new Promise((resolve) => x11.once('frame', resolve));
  return x11;
}

/** Until every named helper and a process in the session's sandbox group run (the test's timeout bounds the wait). */
async function sessionProcesses(names: string[], sessionId: string): Promise<{ helpers: Proc[]; sandboxed: Proc[] }> {
  for (;;) {
    const all = await descendants();
    const groups = await Promise.all(all.map(async (proc) => ({ proc, dir: (await cpuCgroupOf(proc.pid).catch(() => ({ dir: '' }))).dir })));
    // The sandbox's own group (edge-node/sandbox/session-cgroup.ts), not the session's part of the node's group.
    const sandboxed = groups.filter((each) => /\/edgeplay(-prioritized)?$/.test(dirname(each.dir)) && each.dir.endsWith(`/session-${sessionId}`)).map((each) => each.proc);
    const helpers = all.filter((proc) => names.includes(proc.comm));
    if (sandboxed.length > 0 && names.every((name) => helpers.some((proc) => proc.comm === name))) return { helpers, sandboxed };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('CPU priority for the processes of sandboxed and x11 sessions', () => {
  it('puts every process of an edge node\'s x11 session, and its sandboxed game, under the node\'s weight, with the sandbox\'s CPU limit intact', async (context) => {
    system = await startLocalSystem({ logger, nodes: [{ name: 'busy-rig', slots: 1, cpuPriority: true, buildCacheDir: join(dir, 'cache'), sandboxDir: join(dir, 'node-sandboxes') }] });
    const node = await topLevelWeight(process.pid);
    if (node.value === (node.v1 ? 1024 : 100)) context.skip('this machine lets no process manage cgroups (the nice fallback is tested below)');
    const studio = await signUp(system.url, 'debian packagers');
    await upload(system.url, studio.key, await writeArchive(dir, 'lbreakout2.tar.gz', debianGameArchive().archive));
    expect((await api(system.url, '/v1/studio/games/lbreakout2/versions/2.6.5/publish', { token: studio.key, body: {} })).status).toBe(200);
    const session = await createSession(system.url, 'lbreakout2');
    player = await connectSignalling(session.signallingUrl);
    expect((await player.request('session:join', { ticket: session.ticket })).ok).toBe(true);

    const { helpers, sandboxed } = await sessionProcesses(X11_HELPERS, session.sessionId);
    for (const proc of [...helpers, ...sandboxed]) expect((await topLevelWeight(proc.pid)).value, `${proc.comm} (${proc.pid})`).toBe(node.value);
    // The helpers in their session's part of the node's group, beside the node and other sessions, not in the node's own part.
    for (const proc of helpers) expect((await cpuCgroupOf(proc.pid)).dir, proc.comm).toBe(node.dir.replace(/\/node$/, `/session-${session.sessionId}`));
    const gameGroup = (await cpuCgroupOf(sandboxed[0]!.pid)).dir;
    expect(gameGroup).not.toContain('edgeplay-node-');
    const limit = (await readFile(join(gameGroup, node.v1 ? 'cpu.cfs_quota_us' : 'cpu.max'), 'utf8')).trim();
    expect(Number(limit.split(' ')[0])).toBeGreaterThan(0);
  });

  it('puts every process of a sandboxed frames game under the node\'s weight, its own children too', async (context) => {
    const { mechanism, cgroupWeight } = await nodePriority(['cgroup-v2', 'cgroup-v1']);
    if (mechanism === null || cgroupWeight === null) context.skip('this machine lets no process manage cgroups');
    game = await SandboxedGame.start({ ...sandbox('frames-prio', cgroupWeight), buildDir: scriptBuild, program: '/game/spawner.sh', width: 64, height: 64, fps: 10 });
    let found = await sessionProcesses([], 'frames-prio');
    while (found.sandboxed.filter((proc) => proc.comm === 'sleep').length < 2) found = await sessionProcesses([], 'frames-prio');
    for (const proc of found.sandboxed) {
      const { value, v1 } = await topLevelWeight(proc.pid);
      expect(value, `${proc.comm} (${proc.pid})`).toBe(v1 ? cpuShares(cgroupWeight!) : cgroupWeight);
    }
  });

  it('without cgroups gives every thread of an x11 session\'s processes the node\'s nice value', async (context) => {
    const { mechanism } = await nodePriority(['nice']);
    if (mechanism === null) context.skip('this process may not lower nice values');
    const x11 = await startX11(null);
    const { helpers, sandboxed } = await sessionProcesses(X11_HELPERS, 'x11-prio');
    // As the node does with a session's helpers once the game runs (edge-node.ts).
    for (const pid of x11.helperPids ?? []) await priority!.applySession(pid, 'x11-prio');
    for (const proc of [...helpers, ...sandboxed]) {
      const nices = await threadNices(proc.pid);
      expect(nices.length).toBeGreaterThan(0);
      // PulseAudio raises its own priority further where it may; nothing may be below the node's.
      for (const nice of nices) expect(nice, `${proc.comm} (${proc.pid})`).toBeLessThanOrEqual(-6);
    }
  });
});
