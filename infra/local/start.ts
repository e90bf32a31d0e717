/**
 * `npm start`: the whole system on one machine (the control plane on its embedded store,
 * serving the web client, and one edge node with the demo game). Prints the URL to open.
 */
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { repoRoot, startLocalSystem } from './system.js';

const integer = (min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
  return n;
};

const options = new Command('edgeplay-local')
  .description('Start the control plane, one edge node and the web client on this machine')
  .option('--port <port>', 'HTTP port of the control plane and web client', integer(0, 65535), 8080)
  .option('--slots <n>', 'player slots on the local edge node', integer(1, 64), 2)
  .option('--no-latency-strip', 'do not draw the input-sequence strip (the overlay then shows no input-to-frame latency)')
  .option('--redis-url <url>', 'keep control-plane state in Redis instead of in memory')
  .parse()
  .opts<{ port: number; slots: number; latencyStrip: boolean; redisUrl?: string }>();

const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'info' });

const system = await startLocalSystem({
  port: options.port,
  redisUrl: options.redisUrl,
  logger,
  // Generated secrets are kept here, so a restart does not lock out the node's tickets or the page's player token.
  controlPlane: { dataDir: `${repoRoot}.data/control-plane` },
  nodes: [{ name: 'local-rig', keyPath: `${repoRoot}.data/edge-node-key.pem`, slots: options.slots, latencyStrip: options.latencyStrip }],
});

const node = system.nodes[0]!;
process.stdout.write(`\nEdgePlay is running. Open ${system.url}/ in your browser.\n(edge node ${node.nodeId} signalling at ${node.signallingUrl}; Ctrl+C stops everything)\n\n`);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await system.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
