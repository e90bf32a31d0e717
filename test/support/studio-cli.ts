/**
 * Runs the studio CLI (studio-cli/main.ts) as a studio does, in a fresh Node process, and reads
 * back what it keeps in its config file: the API key, and the URL of an upload to resume.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StudioCliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class StudioCli {
  constructor(private readonly configFile: string) {}

  /** Runs one command; `interruptWhen` sends SIGINT (Ctrl+C) once it returns true. */
  run(args: string[], interruptWhen?: () => Promise<boolean>): Promise<StudioCliRun> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'studio-cli/main.ts', ...args], {
      env: { ...process.env, EDGEPLAY_STUDIO_CONFIG: this.configFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exited = false;
    const done = new Promise<StudioCliRun>((resolve) => child.on('exit', (code) => ((exited = true), resolve({ code, stdout, stderr }))));
    if (interruptWhen !== undefined) {
      void (async () => {
        while (!exited && !(await interruptWhen())) await sleep(20);
        if (!exited) child.kill('SIGINT');
      })();
    }
    return done;
  }

  async config(): Promise<{ apiKey?: string; controlPlane?: string; uploads?: Record<string, string> }> {
    return JSON.parse(await readFile(this.configFile, 'utf8').catch(() => '{}')) as { apiKey?: string; uploads?: Record<string, string> };
  }

  /** The upload the CLI keeps for resuming, if any. */
  async uploadUrl(): Promise<string | undefined> {
    return Object.values((await this.config()).uploads ?? {})[0];
  }

  /** How many bytes of the upload at `url` the server holds (tus HEAD). */
  async serverOffset(url: string): Promise<number> {
    const head = await fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${(await this.config()).apiKey ?? ''}`, 'tus-resumable': '1.0.0' } });
    return Number(head.headers.get('upload-offset') ?? 0);
  }

  /** Uploads `archive` in 1 MB chunks, pressing Ctrl+C once the server holds part of it; resolves with that interrupted run. */
  uploadInterrupted(archive: string): Promise<StudioCliRun> {
    return this.run(['upload', archive, '--chunk-mb', '1'], async () => {
      const url = await this.uploadUrl();
      return url !== undefined && (await this.serverOffset(url)) > 0;
    });
  }
}
