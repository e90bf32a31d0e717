/**
 * The file `edgeplay-node join` writes and `edgeplay-node run` starts from: where the control
 * plane is, the operator token, the node key's path, what the rig declares (location, GPU,
 * encoders, slots, price) and the measurements behind it. It holds the token: mode 0600.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { GeoPoint, GpuInfo } from '../../protocol/http.js';

const Probe = Type.Object({ available: Type.Boolean(), detail: Type.String() });

export const NodeConfig = Type.Object(
  {
    version: Type.Literal(1),
    controlPlaneUrl: Type.String({ pattern: '^https?://' }),
    operatorToken: Type.String({ minLength: 1 }),
    keyPath: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1, maxLength: 64 }),
    location: GeoPoint,
    publicAddress: Type.String({ minLength: 1 }),
    /** Signalling (and probe, /metrics) bind address and port; 0 picks a free port at each start. */
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    /** Where players reach the signalling endpoint, when the port is fixed. */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
    gpu: GpuInfo,
    encoders: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: 16 }),
    slots: Type.Integer({ minimum: 1, maximum: 64 }),
    pricePerHour: Type.Number({ minimum: 0, maximum: 1000 }),
    hardware: Type.Object({
      cpuModel: Type.String(),
      cores: Type.Integer({ minimum: 1 }),
      memoryMb: Type.Integer({ minimum: 0 }),
      gpus: Type.Array(GpuInfo),
    }),
    encoderProbes: Type.Object({ nvenc: Probe, vaapi: Probe, x264: Probe }),
    capacity: Type.Object({
      /** 1280x720 60 fps sessions the rig sustained in the measurement. */
      sessions: Type.Integer({ minimum: 0 }),
      measuredAt: Type.String(),
      trials: Type.Array(
        Type.Object({
          sessions: Type.Integer(),
          onTimePct: Type.Number(),
          fps: Type.Number(),
          encodeP50Ms: Type.Number(),
          encodeP95Ms: Type.Number(),
          sustained: Type.Boolean(),
        }),
      ),
    }),
  },
  { additionalProperties: false },
);
export type NodeConfig = Static<typeof NodeConfig>;

export class NodeConfigError extends Error {
  override name = 'NodeConfigError';
}

export async function readNodeConfig(path: string): Promise<NodeConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new NodeConfigError(`cannot read the node config ${path}: ${(error as Error).message} (run edgeplay-node join first)`);
  }
  if (!Value.Check(NodeConfig, parsed)) {
    const first = [...Value.Errors(NodeConfig, parsed)][0];
    throw new NodeConfigError(`the node config ${path} is not valid: ${first ? `${first.path} ${first.message}` : 'bad shape'}`);
  }
  return parsed;
}

export async function writeNodeConfig(path: string, config: NodeConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only to a new file: an existing one keeps its own.
  await chmod(path, 0o600);
}
