/** What the rig is: CPU, memory, and NVIDIA GPUs as nvidia-smi reports them (none where it is absent). */
import { execFile } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TOOL_TIMEOUT_MS = 20_000;

export interface GpuDevice {
  model: string;
  vramMb: number;
}

export interface Hardware {
  cpuModel: string;
  cores: number;
  memoryMb: number;
  gpus: GpuDevice[];
}

export async function detectHardware(): Promise<Hardware> {
  return {
    cpuModel: cpus()[0]?.model.trim() || 'unknown',
    cores: availableParallelism(),
    memoryMb: Math.round(totalmem() / 2 ** 20),
    gpus: await nvidiaGpus(),
  };
}

/** Empty when nvidia-smi is missing or finds no GPU: the rig then streams with software encoding. */
async function nvidiaGpus(): Promise<GpuDevice[]> {
  try {
    const { stdout } = await run('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits'], { timeout: TOOL_TIMEOUT_MS });
    return parseNvidiaSmi(stdout);
  } catch {
    return [];
  }
}

/** Lines of `name, memory in MiB`, as `--query-gpu=name,memory.total --format=csv,noheader,nounits` prints them. */
export function parseNvidiaSmi(output: string): GpuDevice[] {
  return output
    .split('\n')
    .map((line) => /^(.+),\s*(\d+)\s*$/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ model: match[1]!.trim().slice(0, 128), vramMb: Number(match[2]) }));
}
