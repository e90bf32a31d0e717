/**
 * The node's helpers for an X11 session (display server, capture, input, sound) run as the game's
 * own user where the node is root: whatever the game does to them through the display or the
 * sound server, it reaches nothing the game could not reach itself.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Logger } from 'pino';

export interface HelperOptions {
  name: string;
  command: string;
  args: string[];
  uid: number | undefined;
  env?: Record<string, string>;
  stdio?: StdioOptions;
  logger: Logger;
}

export function startHelper(options: HelperOptions): ChildProcess {
  const child = spawn(options.command, options.args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    stdio: options.stdio ?? ['ignore', 'ignore', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  child.on('error', (error) => options.logger.error({ err: error, helper: options.name }, 'helper failed to start'));
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => options.logger.debug({ helper: options.name, output: chunk.slice(0, 500) }, 'helper output'));
  return child;
}

/** The process ids of those helpers still running, for the node to give them CPU priority (edge-node/priority). */
export function runningPids(...helpers: (ChildProcess | undefined)[]): number[] {
  return helpers.flatMap((child) => (child?.pid !== undefined && child.exitCode === null && child.signalCode === null ? [child.pid] : []));
}

/** SIGKILL after a grace period, resolving once the helper is gone. */
export function stopHelper(child: ChildProcess, graceMs = 500): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
