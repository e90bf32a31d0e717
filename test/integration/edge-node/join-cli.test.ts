/**
 * `edgeplay-node join` on this machine (no GPU): a valid config with measured slots, x264 found
 * working and NVENC/VA-API reported absent, a key file only its owner reads; then `edgeplay-node
 * run` registers with that config under the operator's account.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeConfig } from '../../../edge-node/cli/node-config.js';
import type { NodeList } from '../../../protocol/http.js';
import type { OperatorCreated } from '../../../protocol/operators.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { nodeIdForPublicKey } from '../../../services/registry/node-id.js';
import { postJson } from '../../support/api.js';

const CLI = fileURLToPath(new URL('../../../edge-node/cli/main.ts', import.meta.url));

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
}

async function finished(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

describe('edgeplay-node join and run', () => {
  let controlPlane: ControlPlane;
  let operator: OperatorCreated;
  let dir: string;
  let configPath: string;
  let keyPath: string;

  beforeAll(async () => {
    controlPlane = await createControlPlane({ logger: { level: 'silent' } });
    operator = (await postJson<OperatorCreated>(`${controlPlane.url}/v1/operators`, { name: 'cli rig' }, controlPlane.adminToken)).body;
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-join-'));
    configPath = join(dir, 'node.json');
    keyPath = join(dir, 'node-key.pem');
  });
  afterAll(async () => {
    await controlPlane?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('join measures the rig and writes a config run registers with', { timeout: 180_000 }, async () => {
    const joined = await finished(
      cli([
        'join', '--control-plane', controlPlane.url, '--operator-token', operator.token.token,
        '--config', configPath, '--key', keyPath, '--name', 'cli-rig', '--price', '0.35',
        '--lat', '52.5', '--lng', '13.4', '--host', '127.0.0.1', '--port', '0',
        '--max-sessions', '2', '--measure-seconds', '2', '--measure-budget-seconds', '30',
      ]),
    );
    expect(joined.code, joined.output).toBe(0);

    const config: unknown = JSON.parse(await readFile(configPath, 'utf8'));
    expect(Value.Check(NodeConfig, config)).toBe(true);
    if (!Value.Check(NodeConfig, config)) return;
    expect(config.capacity.sessions).toBeGreaterThanOrEqual(1);
    expect(config.slots).toBe(config.capacity.sessions);
    expect(config.capacity.trials[0]).toMatchObject({ sessions: 1, sustained: true });
    expect(config.encoderProbes.x264.available).toBe(true);
    expect(config.encoderProbes.nvenc.available).toBe(false);
    expect(config.encoderProbes.vaapi.available).toBe(false);
    expect(config.encoders).toEqual(['h264', 'x264']);
    expect(config.gpu).toEqual({ model: 'software (x264)', vramMb: 0 });
    expect(config.hardware.cores).toBeGreaterThanOrEqual(1);
    // Asked of the control plane: the address it saw the request come from.
    expect(config.publicAddress).toBe('127.0.0.1');
    expect(config.pricePerHour).toBe(0.35);
    // The key and the config (which holds the operator token) are readable by their owner alone.
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);

    const pem = await readFile(keyPath, 'utf8');
    const { createPrivateKey, createPublicKey } = await import('node:crypto');
    const jwk = createPublicKey(createPrivateKey(pem)).export({ format: 'jwk' });
    const nodeId = nodeIdForPublicKey(jwk.x!);

    const running = cli(['run', '--config', configPath]);
    const exited = finished(running);
    try {
      await expect
        .poll(async () => ((await (await fetch(`${controlPlane.url}/v1/nodes`)).json()) as NodeList).nodes.map((node) => node.nodeId), { timeout: 60_000 })
        .toContain(nodeId);
      const stored = await controlPlane.store.getNode(nodeId);
      expect(stored).toMatchObject({ operatorId: operator.operatorId, name: 'cli-rig', slots: config.slots, pricePerHour: 0.35, encoders: ['h264', 'x264'] });
    } finally {
      running.kill('SIGTERM');
      await exited;
    }
  });

  it('run refuses a missing or broken config with a message', async () => {
    const missing = await finished(cli(['run', '--config', join(dir, 'nope.json')]));
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('run edgeplay-node join first');
  });
});
