/**
 * An impaired network link for tests and benchmarks: a network namespace of our own joined to
 * this one by a veth pair, where the far side (a browser, say) sees a rate limit, random loss,
 * loss bursts, and delay with jitter on everything it exchanges with this side.
 *
 * - rate: a `tbf` qdisc on each end's egress (both directions), with a queue of `queueMs`;
 * - loss: iptables `statistic` DROP rules on UDP (the media) in the namespace, both directions;
 * - delay and jitter: netem where the kernel has it; otherwise (as here) an NFQUEUE listener in the
 *   namespace holds each packet (delay-queue.c), half the delay on the way in and half on the way out.
 *
 * Everything lives in the namespace and the veth pair, so deleting the namespace undoes it all;
 * close() does that, and so does this process's exit, and a later run sweeps namespaces whose
 * creator died without either.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CHROMIUM } from '../browser.js';
import { delayQueueBinary } from './delay-queue-binary.js';

const run = promisify(execFile);

export interface Impairment {
  /** Link rate in kbit/s, each direction; undefined for no limit. */
  rateKbit?: number;
  /** Longest a packet may wait in the rate limiter's queue before it is dropped instead. Default 50. */
  queueMs?: number;
  /** Random loss of UDP packets, each direction, in percent. */
  lossPercent?: number;
  /** Round-trip delay added, in ms (half each way). */
  rttMs?: number;
  /** Uniform jitter on each one-way delay, +- ms (at most half the RTT). */
  jitterMs?: number;
}

const PREFIX = 'edgeplay-link-';
const QUEUE_NUM = 0;
const live = new Set<ImpairedLink>();
let sequence = 0;
let exitHookInstalled = false;

export class ImpairedLink {
  private impairment: Impairment = {};
  private burstPercent = 0;
  /** True while netem qdiscs carry the delay and the rate. */
  private netem = false;
  private delayQueue: ChildProcess | undefined;
  private wrapperDir: string | undefined;
  private closed = false;

  private constructor(
    /** The namespace's name: `ip netns exec` it to run something behind the link. */
    readonly namespace: string,
    /** This side's address on the link: bind servers here for the far side to reach them. */
    readonly hostIp: string,
    /** The far side's address. */
    readonly peerIp: string,
    private readonly hostDevice: string,
    private readonly peerDevice: string,
  ) {}

  static async create(): Promise<ImpairedLink> {
    installExitHook();
    await sweepOrphans();
    const n = sequence++;
    const base = await freeSubnet((process.pid * 8 + n) % SUBNETS);
    const address = (host: number): string => `10.213.${Math.floor(base / 64)}.${(base % 64) * 4 + host}`;
    const link = new ImpairedLink(`${PREFIX}${process.pid}-${n}`, address(1), address(2), `ep${process.pid}x${n}h`, `ep${process.pid}x${n}n`);
    live.add(link);
    try {
      await ip('netns', 'add', link.namespace);
      await ip('link', 'add', link.hostDevice, 'type', 'veth', 'peer', 'name', link.peerDevice);
      await ip('link', 'set', link.peerDevice, 'netns', link.namespace);
      // No IPv6 link-local addresses: one appearing a moment after the link comes up (once its
      // duplicate check ends) is a network change to Chromium, which then fails a page load in
      // flight with ERR_NETWORK_CHANGED.
      await ip('link', 'set', link.hostDevice, 'addrgenmode', 'none');
      await ip('-n', link.namespace, 'link', 'set', link.peerDevice, 'addrgenmode', 'none');
      await ip('addr', 'add', `${link.hostIp}/30`, 'dev', link.hostDevice);
      await ip('link', 'set', link.hostDevice, 'up');
      await ip('-n', link.namespace, 'addr', 'add', `${link.peerIp}/30`, 'dev', link.peerDevice);
      await ip('-n', link.namespace, 'link', 'set', link.peerDevice, 'up');
      await ip('-n', link.namespace, 'link', 'set', 'lo', 'up');
      for (const [chain, hook, flag] of [['EDGEPLAY_IN', 'INPUT', '-i'], ['EDGEPLAY_OUT', 'OUTPUT', '-o']] as const) {
        await link.iptables('-N', chain);
        await link.iptables('-A', hook, flag, link.peerDevice, '-j', chain);
      }
    } catch (error) {
      await link.close();
      throw error;
    }
    return link;
  }

  /** Replaces the whole impairment (what is not given is lifted). */
  async set(impairment: Impairment): Promise<void> {
    const previous = this.impairment;
    this.impairment = { ...impairment };
    const rateChanged = previous.rateKbit !== impairment.rateKbit || previous.queueMs !== impairment.queueMs;
    if (rateChanged) await this.applyRate();
    const delayChanged = previous.rttMs !== impairment.rttMs || previous.jitterMs !== impairment.jitterMs;
    if (delayChanged || (rateChanged && this.netem)) await this.applyDelay();
    else await this.applyFilters();
  }

  /** Drops `percent` of UDP packets each way for `durationMs` on top of the random loss, then stops. */
  async lossBurst(percent: number, durationMs: number): Promise<void> {
    this.burstPercent = percent;
    await this.applyFilters();
    try {
      await sleep(durationMs);
    } finally {
      this.burstPercent = 0;
      if (!this.closed) await this.applyFilters();
    }
  }

  /** An executable that runs Debian's Chromium inside the namespace (playwright-core talks to it over inherited pipes). */
  async chromiumExecutable(): Promise<string> {
    this.wrapperDir ??= await mkdtemp(join(tmpdir(), 'edgeplay-link-'));
    const wrapper = join(this.wrapperDir, 'chromium');
    await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${this.namespace} ${CHROMIUM} "$@"\n`);
    await chmod(wrapper, 0o755);
    return wrapper;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    await this.stopDelayQueue();
    await ip('netns', 'del', this.namespace).catch(() => undefined);
    // The veth pair goes with the namespace; this only matters when creation stopped halfway.
    await ip('link', 'del', this.hostDevice).catch(() => undefined);
    if (this.wrapperDir) await rm(this.wrapperDir, { recursive: true, force: true });
  }

  private async applyRate(): Promise<void> {
    const { rateKbit, queueMs = 50 } = this.impairment;
    if (this.netem) return;
    for (const [device, namespace] of [[this.hostDevice, undefined], [this.peerDevice, this.namespace]] as const) {
      const scope = namespace ? ['-n', namespace] : [];
      if (rateKbit === undefined) {
        await run('tc', [...scope, 'qdisc', 'del', 'dev', device, 'root']).catch(() => undefined);
        continue;
      }
      // The bucket holds a few full packets at least, and about 4 ms of the rate: a bucket of one packet would throttle below the rate.
      const burstBytes = Math.max(6000, Math.round((rateKbit * 1000) / 8 / 250));
      await run('tc', [...scope, 'qdisc', 'replace', 'dev', device, 'root', 'tbf', 'rate', `${rateKbit}kbit`, 'burst', String(burstBytes), 'latency', `${queueMs}ms`]);
    }
  }

  private async applyDelay(): Promise<void> {
    await this.stopDelayQueue();
    const { rttMs = 0, jitterMs = 0 } = this.impairment;
    const oneWay = [String(rttMs / 2), String(Math.min(jitterMs, rttMs / 2))];
    if (this.netem && rttMs === 0) {
      this.netem = false;
      await this.applyRate();
    }
    if (rttMs > 0 && !(await this.applyNetem(oneWay))) {
      const binary = await delayQueueBinary();
      const child = spawn('ip', ['netns', 'exec', this.namespace, binary, String(QUEUE_NUM), ...oneWay], { stdio: ['ignore', 'pipe', 'inherit'] });
      this.delayQueue = child;
      const lines = createInterface({ input: child.stdout! });
      const [first] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => [undefined])])) as [string | undefined];
      if (first !== 'ready') throw new Error('the delay queue did not start (is libnetfilter-queue-dev installed?)');
    }
    await this.applyFilters();
  }

  /** Delay (and the rate with it) as netem qdiscs; false where the kernel has no netem. */
  private async applyNetem(oneWay: string[]): Promise<boolean> {
    const rate = this.impairment.rateKbit === undefined ? [] : ['rate', `${this.impairment.rateKbit}kbit`];
    try {
      for (const [device, namespace] of [[this.hostDevice, undefined], [this.peerDevice, this.namespace]] as const) {
        await run('tc', [...(namespace ? ['-n', namespace] : []), 'qdisc', 'replace', 'dev', device, 'root', 'netem', 'delay', `${oneWay[0]}ms`, `${oneWay[1]}ms`, ...rate]);
      }
      this.netem = true;
      return true;
    } catch {
      return false;
    }
  }

  /** Rebuilds the namespace's chains: burst loss, random loss, then the delay queue. */
  private async applyFilters(): Promise<void> {
    const { lossPercent = 0 } = this.impairment;
    for (const chain of ['EDGEPLAY_IN', 'EDGEPLAY_OUT']) {
      await this.iptables('-F', chain);
      for (const percent of [this.burstPercent, lossPercent]) {
        if (percent > 0) await this.iptables('-A', chain, '-p', 'udp', '-m', 'statistic', '--mode', 'random', '--probability', String(percent / 100), '-j', 'DROP');
      }
      if (this.delayQueue) await this.iptables('-A', chain, '-j', 'NFQUEUE', '--queue-num', String(QUEUE_NUM), '--queue-bypass');
    }
  }

  private async stopDelayQueue(): Promise<void> {
    const child = this.delayQueue;
    if (!child) return;
    this.delayQueue = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  }

  private async iptables(...args: string[]): Promise<void> {
    await run('ip', ['netns', 'exec', this.namespace, 'iptables', '-w', ...args]);
  }
}

/** The /30 subnets of 10.213.0.0/16 the links use. */
const SUBNETS = 64 * 64;

/** The first /30 from `start` on that no interface here uses (another run's link, say). */
async function freeSubnet(start: number): Promise<number> {
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show']);
  const used = new Set<number>();
  for (const [, third, fourth] of stdout.matchAll(/inet 10\.213\.(\d+)\.(\d+)\//g)) used.add(Number(third) * 64 + Math.floor(Number(fourth) / 4));
  for (let i = 0; i < SUBNETS; i++) {
    const candidate = (start + i) % SUBNETS;
    if (!used.has(candidate)) return candidate;
  }
  throw new Error('no free 10.213.0.0/16 subnet for an impaired link');
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

/** Namespaces this module made in processes that are gone. */
async function sweepOrphans(): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'list']);
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = Number(name.startsWith(PREFIX) ? name.slice(PREFIX.length).split('-')[0] : NaN);
    if (Number.isInteger(pid) && !processAlive(pid)) await ip('netns', 'del', name).catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A test that throws past its teardown still leaves nothing behind; a process killed outright is swept by the next run. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const link of live) {
      try {
        execFileSync('ip', ['netns', 'del', link.namespace], { stdio: 'ignore' });
      } catch {
        // Already gone.
      }
    }
  });
}
