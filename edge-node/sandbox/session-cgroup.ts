/**
 * A control group of its own for one game: memory, process-count and CPU limits the kernel
 * enforces on every process the game starts, and the counters that say which limit it broke.
 * cgroups v2 where the unified hierarchy has the controllers, the v1 controllers otherwise;
 * null where neither is writable (not root), and the sandbox falls back to rlimits.
 *
 * Where the node gives its sessions CPU priority (edge-node/priority) the game's group gets that
 * weight, and so does its parent, one kept for prioritized games: a weight counts only against
 * siblings, and the parent is the one that stands beside the rig's other work (a node without
 * priority on the same rig leaves its games under the plain parent). The CPU limit still caps the game.
 */
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cpuShares } from '../priority/cpu-priority.js';
import type { LimitBreach, SandboxLimits } from './sandbox-limits.js';

const CGROUP_ROOT = '/sys/fs/cgroup';
const CPU_PERIOD_US = 100_000;

/** The parent of the games' groups: its own for games with the node's CPU priority, so that its weight is never another node's leftover. */
function parentName(cpuWeight: number | undefined): string {
  return cpuWeight === undefined ? 'edgeplay' : 'edgeplay-prioritized';
}

export interface SessionCgroup {
  /** The cgroup.procs files a process writes its pid to, to join (one per v1 hierarchy). */
  readonly procsFiles: string[];
  /** The limit broken so far, if any. */
  breach(): Promise<LimitBreach | null>;
  remove(): Promise<void>;
}

/** `cpuWeight` is cgroup v2's scale (1-10000, 100 the default); undefined leaves the kernel's default. */
export async function createSessionCgroup(name: string, limits: SandboxLimits, cpuWeight?: number): Promise<SessionCgroup | null> {
  try {
    const controllers = await readFile(join(CGROUP_ROOT, 'cgroup.controllers'), 'utf8').catch(() => '');
    if (['memory', 'pids', 'cpu'].every((c) => controllers.split(/\s+/).includes(c))) return await createV2(name, limits, cpuWeight);
    await access(join(CGROUP_ROOT, 'pids', 'cgroup.procs'));
    return await createV1(name, limits, cpuWeight);
  } catch {
    return null;
  }
}

async function createV2(name: string, limits: SandboxLimits, cpuWeight: number | undefined): Promise<SessionCgroup> {
  const parent = join(CGROUP_ROOT, parentName(cpuWeight));
  await mkdir(parent, { recursive: true });
  await writeFile(join(CGROUP_ROOT, 'cgroup.subtree_control'), '+memory +pids +cpu').catch(() => {});
  await writeFile(join(parent, 'cgroup.subtree_control'), '+memory +pids +cpu');
  const dir = join(parent, name);
  await mkdir(dir);
  await writeFile(join(dir, 'memory.max'), String(limits.memoryBytes));
  await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => {});
  await writeFile(join(dir, 'pids.max'), String(limits.maxProcesses));
  await writeFile(join(dir, 'cpu.max'), `${Math.round(limits.cpuCores * CPU_PERIOD_US)} ${CPU_PERIOD_US}`);
  if (cpuWeight !== undefined) for (const group of [parent, dir]) await writeFile(join(group, 'cpu.weight'), String(cpuWeight));
  return {
    procsFiles: [join(dir, 'cgroup.procs')],
    breach: async () => {
      if ((await counter(join(dir, 'memory.events'), 'oom_kill')) > 0) return 'GAME_MEMORY_LIMIT';
      if ((await counter(join(dir, 'pids.events'), 'max')) > 0) return 'GAME_PROCESS_LIMIT';
      return null;
    },
    remove: async () => {
      await writeFile(join(dir, 'cgroup.kill'), '1').catch(() => {});
      await removeWhenEmpty(dir);
    },
  };
}

async function createV1(name: string, limits: SandboxLimits, cpuWeight: number | undefined): Promise<SessionCgroup> {
  const dirs = { memory: join(CGROUP_ROOT, 'memory', 'edgeplay', name), pids: join(CGROUP_ROOT, 'pids', 'edgeplay', name), cpu: join(CGROUP_ROOT, 'cpu', parentName(cpuWeight), name) };
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  await writeFile(join(dirs.memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
  // Without swap in the limit a game could page its excess out instead of meeting the bound.
  await writeFile(join(dirs.memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => {});
  await writeFile(join(dirs.pids, 'pids.max'), String(limits.maxProcesses));
  await writeFile(join(dirs.cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
  await writeFile(join(dirs.cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.cpuCores * CPU_PERIOD_US)));
  if (cpuWeight !== undefined) for (const group of [dirname(dirs.cpu), dirs.cpu]) await writeFile(join(group, 'cpu.shares'), String(cpuShares(cpuWeight)));
  return {
    procsFiles: Object.values(dirs).map((dir) => join(dir, 'cgroup.procs')),
    breach: async () => {
      if ((await counter(join(dirs.memory, 'memory.oom_control'), 'oom_kill')) > 0) return 'GAME_MEMORY_LIMIT';
      if ((await counter(join(dirs.pids, 'pids.events'), 'max')) > 0) return 'GAME_PROCESS_LIMIT';
      return null;
    },
    remove: async () => {
      for (const dir of Object.values(dirs)) await removeWhenEmpty(dir);
    },
  };
}

/** A "name value" line's value in a cgroup key-value file; 0 when absent. */
async function counter(file: string, key: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const line = text.split('\n').find((l) => l.startsWith(`${key} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** The game's processes are killed with its sandbox; their exit reaches the cgroup a moment later. */
async function removeWhenEmpty(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
