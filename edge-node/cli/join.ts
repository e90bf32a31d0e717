/**
 * `edgeplay-node join`: prepares this rig to serve players. Creates the node key, detects the
 * hardware and which encoders really encode, measures how many 720p60 sessions the rig sustains,
 * settles price, public address and location, and writes the config `edgeplay-node run` starts from.
 */
import { stdin, stdout } from 'node:process';
import { createInterface } from 'node:readline/promises';
import type { GeoPoint } from '../../protocol/http.js';
import type { PublicAddress } from '../../protocol/operators.js';
import { loadOrCreateIdentity } from '../identity.js';
import { measureCapacity, type CapacityTrial } from './capacity.js';
import { HARDWARE_ENCODERS } from '../../protocol/checks.js';
import { probeEncoders, STREAMING_ENCODERS } from './encoder-probe.js';
import { detectHardware } from './hardware.js';
import { writeNodeConfig, type NodeConfig } from './node-config.js';

export interface JoinOptions {
  controlPlane: string;
  operatorToken: string;
  config: string;
  key: string;
  name: string;
  price?: number;
  publicAddress?: string;
  lat?: number;
  lng?: number;
  host: string;
  port: number;
  /** Declare this many slots instead of the measured count. */
  slots?: number;
  maxSessions: number;
  measureSeconds: number;
  measureBudgetSeconds: number;
}

export class JoinError extends Error {
  override name = 'JoinError';
}

const SOFTWARE_GPU = { model: 'software (x264)', vramMb: 0 };
const PRICE_LIMIT = 1000;

/** Prints progress as it goes (a CLI), and returns the config it wrote. */
export async function join(options: JoinOptions, say: (line: string) => void): Promise<NodeConfig> {
  const identity = await loadOrCreateIdentity(options.key);
  say(`node key: ${options.key} (public key ${identity.publicKey})`);

  const hardware = await detectHardware();
  say(`hardware: ${hardware.cpuModel}, ${hardware.cores} cores, ${hardware.memoryMb} MB; GPUs: ${hardware.gpus.map((gpu) => `${gpu.model} (${gpu.vramMb} MB)`).join(', ') || 'none'}`);
  const encoderProbes = await probeEncoders();
  for (const [name, probe] of Object.entries(encoderProbes)) say(`encoder ${name}: ${probe.available ? 'works' : 'absent'} (${probe.detail})`);
  if (!encoderProbes.x264.available) throw new JoinError(`the software encoder does not work here: ${encoderProbes.x264.detail}`);

  say(`measuring how many 1280x720 60 fps sessions this rig sustains (up to ${options.maxSessions}, at most ${options.measureBudgetSeconds} s)...`);
  const capacity = await measureCapacity({
    maxSessions: options.maxSessions,
    windowMs: options.measureSeconds * 1000,
    warmupMs: 1000,
    budgetMs: options.measureBudgetSeconds * 1000,
    onTrial: (trial: CapacityTrial) =>
      say(`  ${trial.sessions} session(s): ${trial.onTimePct}% of frames on time, ${trial.fps} fps, encode p50 ${trial.encodeP50Ms} ms, p95 ${trial.encodeP95Ms} ms: ${trial.sustained ? 'sustained' : 'not sustained'}`),
  });
  const slots = options.slots ?? capacity.sessions;
  if (slots < 1) throw new JoinError('this rig did not sustain one 1280x720 60 fps session in the measurement: free some CPU and join again, or pass --slots');
  if (options.slots !== undefined && options.slots > capacity.sessions) say(`warning: declaring ${options.slots} slots, more than the ${capacity.sessions} measured; checks will test the declared number`);

  const pricePerHour = options.price ?? (await askPrice());
  const publicAddress = options.publicAddress ?? (await askControlPlaneForAddress(options.controlPlane));
  const location = await locate(options, publicAddress);
  say(`public address ${publicAddress}, location ${location.lat}, ${location.lng}, price ${pricePerHour}/player-hour, ${slots} slot(s)`);

  const unused = HARDWARE_ENCODERS.filter((name) => encoderProbes[name].available);
  if (unused.length > 0) say(`${unused.join(', ')} work here, but this node streams through x264 only: not declared (checks read which encoder a stream comes from)`);
  const encoders = ['h264', ...STREAMING_ENCODERS.filter((name) => encoderProbes[name].available)];
  const config: NodeConfig = {
    version: 1,
    controlPlaneUrl: options.controlPlane,
    operatorToken: options.operatorToken,
    keyPath: options.key,
    name: options.name,
    location,
    publicAddress,
    host: options.host,
    port: options.port,
    ...(options.port === 0 ? {} : { publicUrl: `http://${publicAddress}:${options.port}` }),
    gpu: hardware.gpus[0] ?? SOFTWARE_GPU,
    encoders,
    slots,
    pricePerHour,
    hardware,
    encoderProbes,
    capacity: { sessions: capacity.sessions, measuredAt: new Date().toISOString(), trials: capacity.trials },
  };
  await writeNodeConfig(options.config, config);
  say(`wrote ${options.config}; start the node with: edgeplay-node run --config ${options.config}`);
  return config;
}

async function askPrice(): Promise<number> {
  if (!stdin.isTTY) throw new JoinError('pass --price (per player-hour): there is no terminal to ask on');
  const prompt = createInterface({ input: stdin, output: stdout });
  try {
    for (;;) {
      const price = Number(await prompt.question('Price per player-hour: '));
      if (Number.isFinite(price) && price >= 0 && price <= PRICE_LIMIT) return price;
      stdout.write(`a number from 0 to ${PRICE_LIMIT}, please\n`);
    }
  } finally {
    prompt.close();
  }
}

async function askControlPlaneForAddress(controlPlane: string): Promise<string> {
  const response = await fetch(new URL('/v1/nodes/public-address', controlPlane), { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new JoinError(`the control plane did not tell this rig its address (HTTP ${response.status}): pass --public-address`);
  return ((await response.json()) as PublicAddress).address;
}

/** The coordinates given, else where geoip-lite places the public address. */
async function locate(options: JoinOptions, publicAddress: string): Promise<GeoPoint> {
  if (options.lat !== undefined && options.lng !== undefined) return { lat: options.lat, lng: options.lng };
  const geoip = (await import('geoip-lite')).default;
  const found = geoip.lookup(publicAddress)?.ll;
  if (found === undefined) throw new JoinError(`cannot tell where ${publicAddress} is: pass --lat and --lng`);
  return { lat: found[0], lng: found[1] };
}
