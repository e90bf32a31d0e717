/**
 * CPU priority for what serves players: the node's own process (it runs the encoder), its media
 * worker and its sessions' games get the CPU before anything else on the rig, so a compile or a
 * miner the operator runs beside them cannot starve a stream.
 *
 * Where the node may manage cgroups it puts those processes in a cgroup of its own with a high
 * CPU weight: cgroup v2's `cpu.weight`, or cgroup v1's `cpu.shares` where the cpu controller is
 * still mounted the old way (as on the machines this was built on). Processes the node starts
 * later inherit the group. Inside it, the node (with its media worker) and each session's game
 * have a group each, of equal weight: games are untrusted, and one that spins cannot take more
 * than its share from the encoder or from the other sessions. Without cgroups the node lowers the
 * nice value of those processes instead (setpriority on every thread, since Linux keeps a nice
 * value per thread; threads created later inherit it), which cannot keep games apart. Without
 * either privilege it logs that it cannot, and the node runs as before.
 */
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';

export type CpuPriorityMechanism = 'cgroup-v2' | 'cgroup-v1' | 'nice';

export interface CpuPriorityOptions {
  logger: Logger;
  /** cgroup v2 weight (1-10000; everything else has 100 by default). v1 shares are scaled from it (1024 = 100). Default 10000. */
  weight?: number;
  /** The nice value without cgroups (-20 to 19; 0 is the default of everything else). Default -10. */
  nice?: number;
  /** Mechanisms to try, in order. Default: cgroup v2, cgroup v1, nice. */
  mechanisms?: CpuPriorityMechanism[];
  /** Where cgroup file systems are mounted. Default /sys/fs/cgroup. */
  cgroupRoot?: string;
  /** The group's name, unique per node on the rig. Default edgeplay-node-<pid>. */
  groupName?: string;
}

/** Where processes go, per mechanism. */
interface Placement {
  /** Puts one process (all its threads) at the priority, in the part named `part` (the node's, or a session's). */
  apply(pid: number, part: string): Promise<void>;
  /** Forgets a session's part once its processes have exited. */
  release(part: string): Promise<void>;
  /** Gives back what apply took: moves processes out, removes the groups. */
  close(): Promise<void>;
}

/** The node's own part: its process and its media worker. */
const NODE_PART = 'node';
/** Session ids name cgroup directories. */
const SESSION_ID = /^[\w-]{1,64}$/;

export class CpuPriority {
  private closed = false;

  private constructor(
    /** The mechanism in use, or null when none could be used. */
    readonly mechanism: CpuPriorityMechanism | null,
    /** The node's cgroup directory, for the cgroup mechanisms: `node/` and `session-<id>/` lie inside. */
    readonly cgroupPath: string | null,
    private readonly placement: Placement | null,
    private readonly logger: Logger,
    /**
     * The weight (cgroup v2's scale) of the node's group, for groups made elsewhere to stand
     * beside it: a sandboxed game's own group (edge-node/sandbox), which its limits must govern
     * and so cannot be moved into this one. Null without cgroups, where children inherit the nice value.
     */
    readonly cgroupWeight: number | null,
  ) {}

  /** Sets up the first mechanism that works here. Never throws: without one, apply() does nothing. */
  static async start(options: CpuPriorityOptions): Promise<CpuPriority> {
    const logger = options.logger.child({ component: 'cpu-priority' });
    const root = options.cgroupRoot ?? '/sys/fs/cgroup';
    const name = options.groupName ?? `edgeplay-node-${process.pid}`;
    const weight = Math.round(Math.min(10_000, Math.max(1, options.weight ?? 10_000)));
    const failures: Record<string, string> = {};
    for (const mechanism of options.mechanisms ?? ['cgroup-v2', 'cgroup-v1', 'nice']) {
      try {
        if (mechanism === 'nice') {
          const placement = nicePlacement(Math.min(19, Math.max(-20, options.nice ?? -10)));
          // Proves the privilege on this very process, which the node puts first anyway.
          await placement.apply(process.pid, NODE_PART);
          logger.info({ mechanism, nice: options.nice ?? -10 }, 'sessions get CPU priority');
          return new CpuPriority(mechanism, null, placement, logger, null);
        }
        const group = mechanism === 'cgroup-v2' ? await cgroupV2Group(root, name) : await cgroupV1Group(root, name);
        await removeStaleGroups(dirname(group.path), logger);
        const value = mechanism === 'cgroup-v2' ? weight : cpuShares(weight);
        await writeFile(join(group.path, mechanism === 'cgroup-v2' ? 'cpu.weight' : 'cpu.shares'), `${value}\n`);
        logger.info({ mechanism, cgroup: group.path, value }, 'sessions get CPU priority');
        return new CpuPriority(mechanism, group.path, cgroupPlacement(group), logger, weight);
      } catch (error) {
        failures[mechanism] = error instanceof Error ? error.message : String(error);
      }
    }
    logger.warn({ failures }, 'cannot give sessions CPU priority here (no cgroup access, no privilege to renice): a busy rig may slow its streams');
    return new CpuPriority(null, null, null, logger, null);
  }

  /** Puts the node's own process or its media worker at the priority. */
  apply(pid: number, role: 'node' | 'media-worker'): Promise<boolean> {
    return this.place(pid, NODE_PART, { role });
  }

  /** Puts a session's game at the priority, beside (not above) the node and the other sessions. */
  async applySession(pid: number, sessionId: string): Promise<boolean> {
    if (!SESSION_ID.test(sessionId)) {
      this.logger.warn({ pid, sessionId: sessionId.slice(0, 80) }, 'a session id that cannot name a cgroup: its game gets no CPU priority');
      return false;
    }
    return this.place(pid, `session-${sessionId}`, { role: 'game', sessionId });
  }

  /** Forgets a session whose game has exited. */
  async releaseSession(sessionId: string): Promise<void> {
    if (!this.placement || this.closed || !SESSION_ID.test(sessionId)) return;
    await this.placement.release(`session-${sessionId}`).catch((error: unknown) => this.logger.warn({ err: error, sessionId }, 'could not remove a session\'s cgroup'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.placement?.close().catch((error: unknown) => this.logger.warn({ err: error }, 'could not give the CPU priority back'));
  }

  private async place(pid: number, part: string, context: Record<string, string>): Promise<boolean> {
    if (!this.placement || this.closed) return false;
    try {
      await this.placement.apply(pid, part);
      return true;
    } catch (error) {
      // A process that exited in the meantime needs no priority.
      this.logger.warn({ err: error, pid, ...context }, 'could not give a process CPU priority');
      return false;
    }
  }
}

/** cgroup v1's cpu.shares for a v2 weight: both put the default at 1024 and 100. */
export function cpuShares(weight: number): number {
  return Math.round((weight * 1024) / 100);
}

interface CgroupGroup {
  path: string;
  /** The group the node's process was in, where processes go back to on close. */
  home: string;
}

/**
 * A group under the cgroup v2 root: the root is the one place where a group with processes may
 * have children with weights. The group itself holds no processes (v2 allows controllers only
 * for groups without), its parts do.
 */
async function cgroupV2Group(root: string, name: string): Promise<CgroupGroup> {
  const controllers = await readFile(join(root, 'cgroup.controllers'), 'utf8');
  if (!controllers.split(/\s+/).includes('cpu')) throw new Error(`no cpu controller in ${root}`);
  const own = (await readFile('/proc/self/cgroup', 'utf8')).split('\n').find((line) => line.startsWith('0::'));
  if (own === undefined) throw new Error('this process is in no cgroup v2 group');
  await writeFile(join(root, 'cgroup.subtree_control'), '+cpu\n');
  const path = join(root, name);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'cgroup.subtree_control'), '+cpu\n');
  return { path, home: join(root, own.slice(3)) };
}

/** A group beside the node's own in the v1 cpu hierarchy (mounted as cpu or cpu,cpuacct). */
async function cgroupV1Group(root: string, name: string): Promise<CgroupGroup> {
  const line = (await readFile('/proc/self/cgroup', 'utf8')).split('\n').find((entry) => entry.split(':')[1]?.split(',').includes('cpu'));
  if (line === undefined) throw new Error('no cgroup v1 cpu controller');
  const [, controllers = '', own = '/'] = line.split(':');
  const mount = (await readdir(root)).find((entry) => entry === controllers || entry === 'cpu');
  if (mount === undefined) throw new Error(`the cpu controller is not mounted under ${root}`);
  const home = join(root, mount, own);
  const path = join(home, name);
  await mkdir(path, { recursive: true });
  return { path, home };
}

/** Groups of nodes that were killed before they could remove theirs: those whose process is gone and which hold no processes. */
async function removeStaleGroups(parent: string, logger: Logger): Promise<void> {
  for (const entry of await readdir(parent, { withFileTypes: true })) {
    const pid = /^edgeplay-node-(\d+)$/.exec(entry.name)?.[1];
    if (!entry.isDirectory() || pid === undefined || alive(Number(pid))) continue;
    const group = join(parent, entry.name);
    try {
      for (const part of await readdir(group, { withFileTypes: true })) if (part.isDirectory()) await rmdir(join(group, part.name));
      await rmdir(group);
      logger.info({ cgroup: group }, 'removed the cgroup of a node that is gone');
    } catch (error) {
      // Processes still in it: a dead node's games that outlived it. Left for the operator to see.
      logger.warn({ err: error, cgroup: group }, 'a gone node\'s cgroup still holds processes');
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function cgroupPlacement(group: CgroupGroup): Placement {
  const processes = async (part: string): Promise<string[]> => (await readFile(join(group.path, part, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean);
  /** Processes still running in a part (the node itself, in tests) go back to where the node started. */
  const empty = async (part: string): Promise<void> => {
    for (const pid of await processes(part).catch(() => [])) await writeFile(join(group.home, 'cgroup.procs'), `${pid}\n`).catch(() => undefined);
    // A session whose processes exited meanwhile may have had its part released already.
    await rmdir(join(group.path, part)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  };
  return {
    apply: async (pid, part) => {
      // Parts are created with the default weight: equal to each other, whatever the group's.
      await mkdir(join(group.path, part), { recursive: true });
      await writeFile(join(group.path, part, 'cgroup.procs'), `${pid}\n`);
    },
    release: async (part) => {
      if ((await processes(part)).length === 0) await rmdir(join(group.path, part));
    },
    close: async () => {
      const parts = (await readdir(group.path, { withFileTypes: true })).filter((entry) => entry.isDirectory());
      for (const part of parts) await empty(part.name);
      await rmdir(group.path);
    },
  };
}

function nicePlacement(nice: number): Placement {
  /** The nice value of each of the node's own threads before, to restore on close (the others exit with their processes). */
  const before = new Map<number, number>();
  return {
    apply: async (pid) => {
      for (const tid of await threads(pid)) {
        if (pid === process.pid && !before.has(tid)) before.set(tid, getPriority(tid));
        setPriority(tid, nice);
      }
    },
    release: async () => undefined,
    close: async () => {
      for (const tid of await threads(process.pid)) {
        const previous = before.get(tid);
        if (previous !== undefined) setPriority(tid, previous);
      }
    },
  };
}

async function threads(pid: number): Promise<number[]> {
  return (await readdir(`/proc/${pid}/task`)).map(Number).filter(Number.isInteger);
}
