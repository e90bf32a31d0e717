import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir } from 'node:fs/promises';
import { getPriority } from 'node:os';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../../infra/local/system.js';
import { CpuPriority } from '../../../edge-node/priority/cpu-priority.js';
import { createSession } from '../../support/api.js';
import { cpuCgroupOf, threadNices } from '../../support/process-priority.js';
import { connectSignalling } from '../../support/signalling-client.js';

const logger = pino({ level: 'silent' });

/** The cgroup (v1 cpu hierarchy or v2) a process is in, as its /proc entry names it. */
async function cpuCgroupPath(pid: number): Promise<string> {
  return (await cpuCgroupOf(pid)).path;
}

/** A running child with several threads (node's own), alive until killed. */
async function idleChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'console.log("up"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  return child;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('CPU priority for the node and its sessions', () => {
  it('puts exactly the processes it is given in a heavily weighted cgroup, each session in a part of equal weight, and removes it all on close', async (context) => {
    const [first, second, other] = [await idleChild(), await idleChild(), await idleChild()];
    const priority = await CpuPriority.start({ logger, mechanisms: ['cgroup-v2', 'cgroup-v1'], groupName: `edgeplay-test-${process.pid}` });
    if (priority.mechanism === null) context.skip('this machine lets no process manage cgroups');
    expect(await priority.applySession(first.pid!, 'session-a')).toBe(true);
    expect(await priority.applySession(second.pid!, 'session-b')).toBe(true);
    // An id that is not one cannot walk out of the node's group.
    expect(await priority.applySession(other.pid!, '../escape')).toBe(false);

    const group = priority.cgroupPath!;
    expect(group.endsWith(`/edgeplay-test-${process.pid}`)).toBe(true);
    const weightFile = priority.mechanism === 'cgroup-v2' ? 'cpu.weight' : 'cpu.shares';
    const weight = async (path: string): Promise<number> => Number(await readFile(`${path}/${weightFile}`, 'utf8'));
    expect(await weight(group)).toBe(priority.mechanism === 'cgroup-v2' ? 10_000 : 102_400);
    // A game that spins takes no more than its share from the other session (or the node's encoder).
    expect(await weight(`${group}/session-session-a`)).toBe(await weight(`${group}/session-session-b`));
    expect(await weight(`${group}/session-session-a`)).toBeLessThan(await weight(group));
    expect(await cpuCgroupPath(first.pid!)).toMatch(/\/edgeplay-test-\d+\/session-session-a$/);
    expect(await cpuCgroupPath(second.pid!)).toMatch(/\/edgeplay-test-\d+\/session-session-b$/);
    expect(await cpuCgroupPath(other.pid!)).not.toMatch(/edgeplay-test/);

    // A session whose game exited leaves no group behind.
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    await expect.poll(async () => {
      await priority.releaseSession('session-a');
      return existsSync(`${group}/session-session-a`);
    }).toBe(false);

    await priority.close();
    expect(existsSync(group)).toBe(false);
    expect(await cpuCgroupPath(second.pid!)).not.toMatch(/edgeplay-test/);
  });

  it("removes the group a killed node left behind, once its processes are gone, and leaves a live node's alone", async (context) => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.once('exit', resolve));
    const probe = await CpuPriority.start({ logger, mechanisms: ['cgroup-v2', 'cgroup-v1'], groupName: `edgeplay-probe-${process.pid}` });
    if (probe.mechanism === null) context.skip('this machine lets no process manage cgroups');
    const parent = probe.cgroupPath!.replace(/\/[^/]+$/, '');
    await probe.close();
    const stale = `${parent}/edgeplay-node-${dead.pid}`;
    const another = `${parent}/edgeplay-node-${process.ppid}`;
    await mkdir(`${stale}/session-x`, { recursive: true });
    await mkdir(another, { recursive: true });
    const live = await CpuPriority.start({ logger, mechanisms: ['cgroup-v2', 'cgroup-v1'], groupName: `edgeplay-node-${process.pid}` });
    try {
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(another)).toBe(true);
      expect(existsSync(live.cgroupPath!)).toBe(true);
    } finally {
      await live.close();
      await rmdir(another);
    }
  });

  it('keeps a game that spins many threads to its session\'s share of the CPU', async (context) => {
    // Both pinned to one core so that they compete: four spinning threads against one.
    const spin = (threads: number): ChildProcess => {
      const code = `const { Worker } = require('node:worker_threads'); for (let i = 1; i < ${threads}; i++) new Worker('for (;;) {}', { eval: true }); console.log('up'); for (;;) {}`;
      const child = spawn('taskset', ['-c', '0', process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
      children.push(child);
      return child;
    };
    const [greedy, modest] = [spin(4), spin(1)];
    await Promise.all([greedy, modest].map((child) => new Promise((resolve) => child.stdout!.once('data', resolve))));
    // At the default weight, so that the spinning does not take the core from other tests running beside this one.
    const priority = await CpuPriority.start({ logger, mechanisms: ['cgroup-v2', 'cgroup-v1'], groupName: `edgeplay-share-${process.pid}`, weight: 100 });
    if (priority.mechanism === null) context.skip('this machine lets no process manage cgroups');
    try {
      await priority.applySession(greedy.pid!, 'greedy');
      await priority.applySession(modest.pid!, 'modest');
      const cpuTicks = async (pid: number): Promise<number> => {
        const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
        return Number(fields[11]) + Number(fields[12]);
      };
      const before = await Promise.all([cpuTicks(greedy.pid!), cpuTicks(modest.pid!)]);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const after = await Promise.all([cpuTicks(greedy.pid!), cpuTicks(modest.pid!)]);
      const [greedyUsed, modestUsed] = [after[0]! - before[0]!, after[1]! - before[1]!];
      // One group each, equal weights: about half each, where threads alone would give the modest one a fifth.
      expect(modestUsed / (greedyUsed + modestUsed)).toBeGreaterThan(0.35);
    } finally {
      for (const child of [greedy, modest]) child.kill('SIGKILL');
      await priority.close();
    }
  });

  it('without cgroups renices every thread of the processes it is given, and no others', async () => {
    // Started first (children inherit the nice value): node's worker threads are what a per-process renice would miss.
    const [chosen, other] = [await idleChild(), await idleChild()];
    const before = getPriority(process.pid);
    const priority = await CpuPriority.start({ logger, mechanisms: ['nice'], nice: -7 });
    expect(priority.mechanism).toBe('nice');
    await priority.applySession(chosen.pid!, 'a');

    const nices = await threadNices(chosen.pid!);
    expect(nices.length).toBeGreaterThan(1);
    expect(nices.every((nice) => nice === -7)).toBe(true);
    expect((await threadNices(other.pid!)).every((nice) => nice === 0)).toBe(true);
    // start() proved the privilege on the node's own process; close gives its threads their value back.
    expect(getPriority(process.pid)).toBe(-7);
    await priority.close();
    expect(getPriority(process.pid)).toBe(before);
  });

  describe('an edge node with cpuPriority', () => {
    let system: LocalSystem | undefined;
    afterEach(async () => {
      await system?.close();
      system = undefined;
    });

    it("gives its own process, its media worker and a session's game the priority, and the rig's other processes not", async (context) => {
      // Started first: what the node starts later inherits its priority, the rig's own work does not.
      const unrelated = await idleChild();
      system = await startLocalSystem({ logger, nodes: [{ name: 'prio', slots: 1, cpuPriority: true }] });
      const session = await createSession(system.url);
      const player = await connectSignalling(session.signallingUrl);
      expect((await player.request('session:join', { ticket: session.ticket })).ok).toBe(true);
      const node = system.nodes[0]!;
      const game = [...node.sessions.values()][0]!.game;

      const group = await cpuCgroupPath(process.pid);
      if (!/edgeplay-node-\d+\/node$/.test(group)) {
        // No cgroups here: the nice fallback, checked on the same processes.
        if (getPriority(process.pid) === 0) context.skip('this machine allows neither cgroups nor renicing');
        for (const pid of [process.pid, node.mediaWorkerPid!, game.pid!]) expect(getPriority(pid)).toBe(-10);
        expect(getPriority(unrelated.pid!)).toBe(0);
      } else {
        expect(await cpuCgroupPath(node.mediaWorkerPid!)).toBe(group);
        // The game, untrusted, in a part of its own beside the node's.
        expect(await cpuCgroupPath(game.pid!)).toBe(group.replace(/\/node$/, `/session-${session.sessionId}`));
        expect(await cpuCgroupPath(unrelated.pid!)).not.toMatch(/edgeplay-node/);
      }
      player.close();
      await system.close();
      system = undefined;
      // Stopping gives the priority back: the test's own process left the group.
      expect(await cpuCgroupPath(process.pid)).not.toMatch(/edgeplay-node/);
    });
  });
});
