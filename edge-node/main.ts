/**
 * An operator joins the network with one command:
 *   tsx edge-node/main.ts --control-plane https://cp.example --operator-token T --lat 48.1 --lng 11.6
 */
import { Command, InvalidArgumentError } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EdgeNode } from './edge-node.js';

const number = (min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
  return n;
};

const options = new Command('edgeplay-node')
  .description('Run an EdgePlay edge node on this rig')
  .requiredOption('--control-plane <url>', 'control plane base URL')
  .requiredOption('--operator-token <token>', 'your operator token', process.env['EDGEPLAY_OPERATOR_TOKEN'])
  .requiredOption('--lat <degrees>', 'where the rig is: latitude', number(-90, 90))
  .requiredOption('--lng <degrees>', 'where the rig is: longitude', number(-180, 180))
  .option('--name <name>', 'a name players and you will recognise', 'rig')
  .option('--key <path>', 'node key file (created on first start)', join(homedir(), '.config', 'edgeplay', 'node-key.pem'))
  .option('--slots <n>', 'concurrent players', number(1, 64), 1)
  .option('--price <perHour>', 'price per player-hour', number(0, 1000), 0.5)
  .option('--gpu <model>', 'GPU model', 'software (x264)')
  .option('--vram <mb>', 'GPU memory in MB', number(0, 1_048_576), 0)
  .option('--host <address>', 'signalling bind address', '127.0.0.1')
  .option('--port <port>', 'signalling port (0 picks one)', number(0, 65535), 0)
  .option('--public-url <url>', 'signalling URL as players reach it, if not http://host:port')
  .option('--announced-address <ip>', 'the address players reach WebRTC media on, if not the bind address')
  .option('--no-cpu-priority', "do not give the node, its media worker and its games CPU priority over the rig's other work")
  // Outside the key's home folder: sandboxed games run as their own users and must reach their build's mount source.
  .option('--build-cache <dir>', 'where studio builds are cached', '/var/cache/edgeplay-node/builds')
  .option('--build-cache-gb <n>', 'how much disk the build cache may use, in GB', number(1, 100_000), 20)
  .option('--sandbox-dir <dir>', "where games' sandboxes keep their scratch directories", '/var/lib/edgeplay-node/sandboxes')
  .option('--build-origin <url>', 'where builds are downloaded from when no nearby node has them (default: the control plane)')
  .option('--max-peer-uploads <n>', 'builds served to nearby nodes at once (default 4)', number(1, 64))
  .parse()
  .opts<{
    controlPlane: string;
    operatorToken: string;
    lat: number;
    lng: number;
    name: string;
    key: string;
    slots: number;
    price: number;
    gpu: string;
    vram: number;
    host: string;
    port: number;
    publicUrl?: string;
    announcedAddress?: string;
    cpuPriority: boolean;
    buildCache: string;
    buildCacheGb: number;
    sandboxDir: string;
    buildOrigin?: string;
    maxPeerUploads?: number;
  }>();

const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'info' });
const node = await EdgeNode.start({
  controlPlaneUrl: options.controlPlane,
  operatorToken: options.operatorToken,
  keyPath: options.key,
  name: options.name,
  location: { lat: options.lat, lng: options.lng },
  gpu: { model: options.gpu, vramMb: options.vram },
  slots: options.slots,
  pricePerHour: options.price,
  host: options.host,
  port: options.port,
  publicUrl: options.publicUrl,
  listenIp: options.host,
  announcedAddress: options.announcedAddress,
  cpuPriority: options.cpuPriority,
  buildCacheDir: options.buildCache,
  buildCacheBytes: options.buildCacheGb * 1024 ** 3,
  sandboxDir: options.sandboxDir,
  buildOriginUrl: options.buildOrigin,
  maxPeerUploads: options.maxPeerUploads,
  logger,
});
logger.info({ nodeId: node.nodeId, signallingUrl: node.signallingUrl }, 'edge node is serving players');

const stop = (): void => void node.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
