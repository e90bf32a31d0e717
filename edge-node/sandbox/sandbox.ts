/**
 * Wraps one game in bubblewrap: its own user, pid, ipc, uts, cgroup and (unless its manifest asks
 * for the network) network namespaces; the system's /usr read-only, its build read-only at
 * /game, a private scratch directory at /scratch, and nothing else of the node: not the node key,
 * its config, the build cache, other sessions' directories or their displays. As root the game
 * also runs as a user id of its own, inside a cgroup with memory, process and CPU limits;
 * rlimits stand in where cgroups cannot be had. A watch tells which limit a game broke.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AppError } from '../../protocol/errors.js';
import { createSessionCgroup, type SessionCgroup } from './session-cgroup.js';
import type { LimitBreach, SandboxLimits } from './sandbox-limits.js';
import { ScratchDir } from './scratch-dir.js';
import { SessionUsers } from './session-users.js';

export interface SandboxOptions {
  /** Where the node keeps its sessions' scratch directories. */
  root: string;
  sessionId: string;
  /** The unpacked build, mounted read-only at /game. */
  buildDir: string;
  network: boolean;
  limits: SandboxLimits;
  /** The node's CPU priority for the game's cgroup (CpuPriority.cgroupWeight); undefined: none. */
  cpuWeight?: number;
  logger: Logger;
}

export interface SandboxCommand {
  command: string;
  args: string[];
}

/** The parts of /etc a dynamically linked game needs; none of them hold the node's secrets. */
const SYSTEM_FILES = ['/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/alternatives', '/etc/fonts', '/etc/localtime', '/etc/passwd', '/etc/group'];
const NETWORK_FILES = ['/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/ssl', '/etc/ca-certificates'];
const WATCH_INTERVAL_MS = 200;
const RLIMIT_HEADROOM = 16;
/** Address space is not memory: runtimes reserve far more than they touch, so the fallback bound is looser. */
const ADDRESS_SPACE_FACTOR = 4;
/** Joins the cgroups named by its first arguments, then becomes the rest: the pid is the game's before it runs any of its code. */
const JOIN_CGROUPS = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';

export class Sandbox {
  private watchTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  private constructor(
    private readonly options: SandboxOptions,
    readonly scratch: ScratchDir,
    private readonly cgroup: SessionCgroup | null,
    /** The user id the game runs as; undefined when the node is not root and the game shares the node's. */
    readonly uid: number | undefined,
  ) {}

  static async create(options: SandboxOptions): Promise<Sandbox> {
    const isRoot = process.getuid?.() === 0;
    const uid = isRoot ? SessionUsers.take() : undefined;
    let scratch: ScratchDir | undefined;
    try {
      // Games run as users of their own: they pass through the root to their own directory only.
      await mkdir(options.root, { recursive: true });
      await chmod(options.root, 0o711);
      scratch = await ScratchDir.create(join(options.root, options.sessionId), options.limits.scratchBytes, uid);
      const cgroup = isRoot ? await createSessionCgroup(`session-${options.sessionId}`, options.limits, options.cpuWeight) : null;
      if (!cgroup) options.logger.warn({ sessionId: options.sessionId }, 'no cgroup for the game: limits fall back to rlimits');
      return new Sandbox(options, scratch, cgroup, uid);
    } catch (error) {
      await scratch?.remove();
      if (uid !== undefined) SessionUsers.give(uid);
      options.logger.error({ err: error, sessionId: options.sessionId }, 'sandbox setup failed');
      throw new AppError('SANDBOX_UNAVAILABLE');
    }
  }

  /**
   * The command line that runs `program` (a path inside the sandbox, e.g. /game/run.sh) in this
   * sandbox; `binds` share host paths the runtime made for the game (its display's socket, its sound server's).
   */
  command(program: string, args: readonly string[] = [], binds: readonly { source: string; target: string }[] = []): SandboxCommand {
    const { limits, network, buildDir } = this.options;
    const bwrap = ['bwrap', '--unshare-all', ...(network ? ['--share-net'] : []), '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--hostname', 'game'];
    bwrap.push('--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/sbin', '/sbin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64');
    for (const file of [...SYSTEM_FILES, ...(network ? NETWORK_FILES : [])]) bwrap.push('--ro-bind-try', file, file);
    bwrap.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--ro-bind', buildDir, '/game', '--bind', this.scratch.path, '/scratch');
    for (const { source, target } of binds) bwrap.push('--bind', source, target);
    bwrap.push('--setenv', 'HOME', '/scratch', '--setenv', 'TMPDIR', '/tmp', '--chdir', '/game', '--', program, ...args);
    // The second layer: per-process bounds that hold even where cgroups are missing.
    const rlimits = ['prlimit', `--fsize=${limits.scratchBytes}`, '--core=0', '--nofile=4096'];
    // Above the cgroup's bound when there is one, so that the cgroup, which counts the breach, refuses first.
    if (this.uid !== undefined) rlimits.push(`--nproc=${this.cgroup ? limits.maxProcesses + RLIMIT_HEADROOM : limits.maxProcesses}`);
    if (!this.cgroup) rlimits.push(`--as=${limits.memoryBytes * ADDRESS_SPACE_FACTOR}`);
    rlimits.push('--');
    const asUser = this.uid === undefined ? [] : ['setpriv', `--reuid=${this.uid}`, `--regid=${this.uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--'];
    const procs = this.cgroup?.procsFiles ?? [];
    return { command: '/bin/sh', args: ['-c', JOIN_CGROUPS, 'sandbox', String(procs.length), ...procs, ...asUser, ...rlimits, ...bwrap] };
  }

  /** Calls `onBreach` once, with the first limit the game is found to have broken. */
  watch(onBreach: (breach: LimitBreach) => void): void {
    const check = async (): Promise<void> => {
      const breach = await this.currentBreach();
      if (this.disposed) return;
      if (breach) {
        onBreach(breach);
        return;
      }
      this.watchTimer = setTimeout(() => void check(), WATCH_INTERVAL_MS);
    };
    this.watchTimer = setTimeout(() => void check(), WATCH_INTERVAL_MS);
  }

  /** The limit the game has broken so far, if any. */
  async currentBreach(): Promise<LimitBreach | null> {
    return (await this.cgroup?.breach()) ?? ((await this.scratch.full()) ? 'GAME_DISK_LIMIT' : null);
  }

  /** After the game exited: its cgroup, scratch directory and user id go. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.watchTimer);
    await this.cgroup?.remove();
    await this.scratch.remove();
    if (this.uid !== undefined) SessionUsers.give(this.uid);
  }
}
