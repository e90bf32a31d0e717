/** What the kernel says about a process's CPU priority: its cpu cgroup and its threads' nice values, from /proc. */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

export interface CpuCgroup {
  /** As /proc/<pid>/cgroup names it, from the hierarchy's root. */
  path: string;
  /** The directory holding its files. */
  dir: string;
  /** In the v1 cpu hierarchy (else v2's unified one). */
  v1: boolean;
}

/** The v1 cpu controller's group where it is mounted so, else the v2 group. */
export async function cpuCgroupOf(pid: number): Promise<CpuCgroup> {
  const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n');
  const v1 = lines.find((line) => line.split(':')[1]?.split(',').includes('cpu'));
  const path = (v1 ?? lines.find((line) => line.startsWith('0::')) ?? '').split(':')[2] ?? '/';
  return v1 ? { path, dir: join(CGROUP_ROOT, v1.split(':')[1]!, path), v1: true } : { path, dir: join(CGROUP_ROOT, path), v1: false };
}

/** Nice value of every thread of a process (field 19 of /proc/<pid>/task/<tid>/stat); none once it has exited. */
export async function threadNices(pid: number): Promise<number[]> {
  const tids = await readdir(`/proc/${pid}/task`).catch(() => []);
  return (await Promise.all(tids.map((tid) => readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => null))))
    .filter((stat): stat is string => stat !== null)
    .map((stat) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
}
