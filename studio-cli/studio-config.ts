/**
 * Where the CLI keeps its login and the URLs of uploads in flight: one JSON file, readable by its
 * owner alone (0600), at $EDGEPLAY_STUDIO_CONFIG or ~/.config/edgeplay/studio.json.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface StudioConfig {
  controlPlane?: string;
  apiKey?: string;
  /** Upload URLs by "<control plane> <sha256>": what `upload` resumes. */
  uploads: Record<string, string>;
}

export function configPath(): string {
  return process.env['EDGEPLAY_STUDIO_CONFIG'] ?? join(homedir(), '.config', 'edgeplay', 'studio.json');
}

export async function readConfig(path = configPath()): Promise<StudioConfig> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<StudioConfig>;
    return { ...parsed, uploads: parsed.uploads ?? {} };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { uploads: {} };
    throw error;
  }
}

/** Written to a temporary file (created 0600) and renamed, so the key is never readable by others, even half written. */
export async function writeConfig(config: StudioConfig, path = configPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

export function uploadKey(controlPlane: string, sha256: string): string {
  return `${controlPlane} ${sha256}`;
}
