/**
 * Injects player input into a display through XTest: one long-running `xdotool -` reads a
 * command per line, so an input costs a pipe write, not a process start. Like a frames game's
 * stdin, input that the injector has not read yet is dropped rather than delivered late.
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { InputEvent } from '../../protocol/input.js';
import { runningPids, startHelper, stopHelper } from './helper-process.js';
import { XInputTranslator } from './x11-keys.js';

const MAX_PENDING_BYTES = 8 * 1024;

export class InputInjector {
  private readonly xdotool: ChildProcess;
  private readonly translator = new XInputTranslator();

  constructor(options: { display: string; uid: number | undefined; logger: Logger }) {
    this.xdotool = startHelper({ name: 'xdotool', command: 'xdotool', args: ['-'], uid: options.uid, env: { DISPLAY: options.display }, stdio: ['pipe', 'ignore', 'pipe'], logger: options.logger });
    this.xdotool.stdin?.on('error', () => {});
  }

  /** False when the event was dropped (the injector is gone or behind). */
  inject(event: InputEvent): boolean {
    const stdin = this.xdotool.stdin;
    if (!stdin?.writable || stdin.writableLength >= MAX_PENDING_BYTES) return false;
    const lines = this.translator.commands(event);
    if (lines.length > 0) stdin.write(`${lines.join('\n')}\n`);
    return true;
  }

  get pids(): number[] {
    return runningPids(this.xdotool);
  }

  stop(): Promise<void> {
    this.xdotool.stdin?.end();
    return stopHelper(this.xdotool);
  }
}
