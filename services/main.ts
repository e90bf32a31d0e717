/** Runs the control plane from the command line: `tsx services/main.ts --port 8080`. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { createControlPlane } from './app.js';
import { createLogger } from './logging/logger.js';

interface CliOptions {
  port: number;
  host: string;
  redisUrl?: string;
  redisCluster?: string;
  trustProxy?: boolean;
  operatorToken?: string[];
  webRoot?: string;
  ticketKey?: string;
  logLevel: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError('expected a port number (0-65535)');
  return port;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const program = new Command()
  .name('control-plane')
  .description('The edgeplay control plane: node registry, placement, session tickets')
  .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 8080)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .addOption(new Option('--redis-url <url>', 'Redis for shared state (default: in-process store)').env('EDGEPLAY_REDIS_URL'))
  .addOption(
    new Option('--redis-cluster <nodes>', 'Redis Cluster seed nodes for shared state, comma separated host:port')
      .env('EDGEPLAY_REDIS_CLUSTER')
      .conflicts('redisUrl'),
  )
  .option('--trust-proxy', 'geolocate players by X-Forwarded-For (behind a load balancer)')
  .addOption(
    new Option('--operator-token <token>', 'token edge operators register with (repeatable; generated when absent)')
      .argParser(collect)
      .env('EDGEPLAY_OPERATOR_TOKEN'),
  )
  .option('--web-root <dir>', 'serve the web client from this folder')
  .addOption(new Option('--ticket-key <path>', 'Ed25519 PKCS#8 PEM that signs session tickets').env('EDGEPLAY_TICKET_KEY'))
  .addOption(new Option('--log-level <level>', 'pino log level').default('info').env('LOG_LEVEL'));

const cli = program.parse().opts<CliOptions>();
const log = createLogger({ level: cli.logLevel }).child({ component: 'cli' });

const controlPlane = await createControlPlane({
  host: cli.host,
  port: cli.port,
  store:
    cli.redisCluster !== undefined
      ? { redisCluster: cli.redisCluster.split(',').filter((node) => node !== '') }
      : cli.redisUrl !== undefined
        ? { redisUrl: cli.redisUrl }
        : 'memory',
  trustProxy: cli.trustProxy ?? false,
  logger: { level: cli.logLevel },
  ...(cli.operatorToken === undefined ? {} : { operatorTokens: cli.operatorToken }),
  ...(cli.webRoot === undefined ? {} : { webRoot: cli.webRoot }),
  ...(cli.ticketKey === undefined ? {} : { ticketKeyPath: cli.ticketKey }),
});
if (cli.operatorToken === undefined) {
  // Printed once so the operator of this machine can start an edge node; pass --operator-token to choose one.
  log.warn({ operatorToken: controlPlane.operatorToken }, 'no operator token given: generated one');
}
log.info({ url: controlPlane.url }, 'control plane ready');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down');
    controlPlane.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
