/**
 * edgeplay-node: `join` prepares a rig (key, hardware, encoders, measured capacity, price,
 * address) and writes its config; `run` starts the node from that config.
 */
import { homedir, hostname } from 'node:os';
import { join as joinPath } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { EdgeNode } from '../edge-node.js';
import { join, JoinError } from './join.js';
import { NodeConfigError, readNodeConfig } from './node-config.js';

const CONFIG_DIR = joinPath(homedir(), '.config', 'edgeplay');

const number = (min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
  return n;
};
const integer = (min: number, max: number) => (value: string): number => {
  const n = number(min, max)(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
  return n;
};

const program = new Command('edgeplay-node').description('Join an EdgePlay network with this rig, and run it');

program
  .command('join')
  .description('create the node key, detect hardware and encoders, measure capacity, and write the node config')
  .requiredOption('--control-plane <url>', 'control plane base URL')
  .addOption(new Option('--operator-token <token>', 'your operator token (from the network admin, or POST /v1/operators/:id/tokens)').env('EDGEPLAY_OPERATOR_TOKEN').makeOptionMandatory())
  .option('--config <path>', 'where to write the node config', joinPath(CONFIG_DIR, 'node.json'))
  .option('--key <path>', 'node key file (created if missing, mode 0600)', joinPath(CONFIG_DIR, 'node-key.pem'))
  .option('--name <name>', 'a name players and you will recognise', hostname().slice(0, 64))
  .option('--price <perHour>', 'price per player-hour (asked when absent)', number(0, 1000))
  .option('--public-address <ip>', 'the address players reach this rig on (asked of the control plane when absent)')
  .option('--lat <degrees>', 'latitude (from the public address when absent)', number(-90, 90))
  .option('--lng <degrees>', 'longitude (from the public address when absent)', number(-180, 180))
  .option('--host <address>', 'address to bind signalling and media to', '0.0.0.0')
  .option('--port <port>', 'signalling port (TCP; 0 picks one at each start)', integer(0, 65535), 8443)
  .option('--slots <n>', 'declare this many slots instead of the measured count', integer(1, 64))
  .option('--max-sessions <n>', 'try at most this many sessions when measuring', integer(1, 64), 8)
  .option('--measure-seconds <s>', 'measured time per trial', number(1, 60), 5)
  .option('--measure-budget-seconds <s>', 'start no trial after this long', number(5, 600), 120)
  .action(async (options) => {
    try {
      await join(options, (line) => process.stdout.write(`${line}\n`));
    } catch (error) {
      if (!(error instanceof JoinError)) throw error;
      process.stderr.write(`edgeplay-node join: ${error.message}\n`);
      process.exitCode = 1;
    }
  });

program
  .command('run')
  .description('start the node from the config join wrote')
  .option('--config <path>', 'the node config', joinPath(CONFIG_DIR, 'node.json'))
  .action(async (options: { config: string }) => {
    const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'info' });
    let config;
    try {
      config = await readNodeConfig(options.config);
    } catch (error) {
      if (!(error instanceof NodeConfigError)) throw error;
      process.stderr.write(`edgeplay-node run: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    const node = await EdgeNode.start({
      controlPlaneUrl: config.controlPlaneUrl,
      operatorToken: config.operatorToken,
      keyPath: config.keyPath,
      name: config.name,
      location: config.location,
      gpu: config.gpu,
      encoders: config.encoders,
      slots: config.slots,
      pricePerHour: config.pricePerHour,
      host: config.host,
      port: config.port,
      ...(config.publicUrl === undefined ? {} : { publicUrl: config.publicUrl }),
      listenIp: config.host,
      announcedAddress: config.publicAddress,
      logger,
    });
    logger.info({ component: 'edgeplay-node', nodeId: node.nodeId, signallingUrl: node.signallingUrl }, 'edge node is serving players');
    const stop = (): void => void node.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

await program.parseAsync();
