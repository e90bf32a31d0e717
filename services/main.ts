/**
 * Runs the control plane from the command line: `tsx services/main.ts --port 8080`; with
 * `--workers N`, N instances in one process group sharing the port (services/workers/). Started
 * with an IPC channel, it tells its parent where it listens (protocol/control-plane-process.ts).
 */
import cluster from 'node:cluster';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ControlPlaneListening } from '../protocol/control-plane-process.js';
import { createControlPlane } from './app.js';
import { createLogger } from './logging/logger.js';
import { loadOrCreateSecrets } from './secrets/persisted-secrets.js';
import { WorkerPool } from './workers/worker-pool.js';

interface CliOptions {
  port: number;
  host: string;
  workers: number;
  redisUrl?: string;
  redisCluster?: string;
  redisKeyPrefix?: string;
  trustProxy?: boolean;
  operatorToken?: string[];
  webRoot?: string;
  ticketKey?: string;
  ticketKeyPem?: string;
  guestTokenSecret?: string;
  dataDir: string;
  heartbeatInterval: number;
  nodeTtl: number;
  logLevel: string;
  studioSignupToken?: string;
  maxUploadMb?: number;
  guestTokensPerAddress?: number;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError('expected a port number (0-65535)');
  return port;
}

function parseWorkers(value: string): number {
  if (value === 'auto') return availableParallelism();
  const workers = Number(value);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new InvalidArgumentError("expected a number of workers (1-256) or 'auto' (one per core)");
  return workers;
}

function parseMilliseconds(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 100 || ms > 3_600_000) throw new InvalidArgumentError('expected milliseconds (100-3600000)');
  return ms;
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError('expected a whole number above 0');
  return count;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const program = new Command()
  .name('control-plane')
  .description('The edgeplay control plane: node registry, placement, session tickets')
  .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 8080)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .addOption(
    new Option('--workers <n>', "instances sharing the port, one per core with 'auto' (above 1 needs Redis)")
      .argParser(parseWorkers)
      .default(1)
      .env('EDGEPLAY_WORKERS'),
  )
  .addOption(new Option('--redis-url <url>', 'Redis for shared state (default: in-process store)').env('EDGEPLAY_REDIS_URL'))
  .addOption(
    new Option('--redis-cluster <nodes>', 'Redis Cluster seed nodes for shared state, comma separated host:port')
      .env('EDGEPLAY_REDIS_CLUSTER')
      .conflicts('redisUrl'),
  )
  .addOption(new Option('--redis-key-prefix <prefix>', 'prefix for every key, so deployments can share one Redis').env('EDGEPLAY_REDIS_KEY_PREFIX'))
  .option('--trust-proxy', 'geolocate players by X-Forwarded-For (behind a load balancer)')
  .addOption(
    new Option('--operator-token <token>', 'token edge operators register with (repeatable; generated when absent)')
      .argParser(collect)
      .env('EDGEPLAY_OPERATOR_TOKEN'),
  )
  .option('--web-root <dir>', 'serve the web client from this folder')
  .addOption(new Option('--ticket-key <path>', 'Ed25519 PKCS#8 PEM file that signs session tickets').env('EDGEPLAY_TICKET_KEY'))
  .addOption(new Option('--ticket-key-pem <pem>', 'the ticket key itself, PEM (from a secret store)').env('EDGEPLAY_TICKET_KEY_PEM').conflicts('ticketKey'))
  .addOption(
    new Option('--guest-token-secret <secret>', 'HS256 secret (32+ bytes) for player tokens, shared by every instance').env('EDGEPLAY_GUEST_TOKEN_SECRET'),
  )
  .addOption(
    // Every node heartbeats this often: 100,000 nodes at 2 s are 50,000 requests a second (README: sizing).
    new Option('--heartbeat-interval <ms>', 'how often nodes heartbeat').argParser(parseMilliseconds).default(2_000).env('EDGEPLAY_HEARTBEAT_INTERVAL_MS'),
  )
  .addOption(
    new Option('--node-ttl <ms>', 'a node silent this long leaves placement (at least twice the interval)')
      .argParser(parseMilliseconds)
      .default(6_000)
      .env('EDGEPLAY_NODE_TTL_MS'),
  )
  .addOption(new Option('--log-level <level>', 'pino log level').default('info').env('LOG_LEVEL'))
  .addOption(
    new Option('--guest-tokens-per-address <n>', 'guest tokens one address may get a minute').argParser(parseCount).env('EDGEPLAY_GUEST_TOKENS_PER_ADDRESS'),
  )
  .addOption(
    new Option('--data-dir <dir>', 'where generated secrets, builds and unfinished uploads are kept')
      .default(join(homedir(), '.local', 'share', 'edgeplay', 'control-plane'))
      .env('EDGEPLAY_DATA_DIR'),
  )
  .addOption(new Option('--studio-signup-token <token>', 'studios may sign up only with this token (default: open sign-up)').env('EDGEPLAY_STUDIO_SIGNUP_TOKEN'))
  .addOption(new Option('--max-upload-mb <mb>', 'the largest build archive a studio may upload').argParser(Number).env('EDGEPLAY_MAX_UPLOAD_MB'));

const cli = program.parse().opts<CliOptions>();
if (cli.nodeTtl < 2 * cli.heartbeatInterval) {
  program.error(`--node-ttl (${cli.nodeTtl} ms) must be at least twice --heartbeat-interval (${cli.heartbeatInterval} ms), so that one lost heartbeat does not expire a node`);
}
const log = createLogger({ level: cli.logLevel }).child({ component: 'cli' });

/** Stops on SIGINT or SIGTERM (Ctrl+C reaches a primary and its workers alike), and a worker also when its primary is gone. */
function stopOn(stop: () => Promise<void>): void {
  let stopping = false;
  const shutDown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => shutDown(signal));
  if (cluster.isWorker) process.once('disconnect', () => shutDown('primary gone'));
}

/** Logs `message` with the error as the last word, and exits 1. */
function fatal(message: string): (error: unknown) => never {
  return (error) => {
    log.fatal({ err: error }, message);
    process.exit(1);
  };
}

if (cli.workers > 1 && cluster.isPrimary) {
  if (cli.redisUrl === undefined && cli.redisCluster === undefined) {
    program.error('--workers above 1 needs --redis-url or --redis-cluster: the in-process store is not shared between workers');
  }
  // Workers run this same command line; whatever would be generated per process must be made once, here.
  const kept = await loadOrCreateSecrets(cli.dataDir).catch(fatal('could not read or keep the generated secrets'));
  const operatorToken = cli.operatorToken === undefined ? kept.operatorToken : undefined;
  const env: Record<string, string> = {
    ...(operatorToken === undefined ? {} : { EDGEPLAY_OPERATOR_TOKEN: operatorToken }),
    ...(cli.ticketKey === undefined && cli.ticketKeyPem === undefined ? { EDGEPLAY_TICKET_KEY_PEM: kept.ticketKeyPem } : {}),
    ...(cli.guestTokenSecret === undefined ? { EDGEPLAY_GUEST_TOKEN_SECRET: kept.guestTokenSecret } : {}),
  };
  const pool = new WorkerPool({ workers: cli.workers, env, log, onFailure: fatal('control plane stopped') });
  const url = await pool.start().catch(fatal('the control plane failed to start'));
  if (operatorToken !== undefined) log.warn({ operatorToken }, 'no operator token given: generated one');
  log.info({ url, workers: cli.workers, pids: pool.pids }, 'control plane ready');
  process.send?.({ kind: 'listening', url, pids: pool.pids } satisfies ControlPlaneListening);
  stopOn(() => pool.close());
} else {
  const controlPlane = await createControlPlane({
    host: cli.host,
    port: cli.port,
    store:
      cli.redisCluster !== undefined
        ? { redisCluster: cli.redisCluster.split(',').filter((node) => node !== ''), keyPrefix: cli.redisKeyPrefix }
        : cli.redisUrl !== undefined
          ? { redisUrl: cli.redisUrl, keyPrefix: cli.redisKeyPrefix }
          : 'memory',
    trustProxy: cli.trustProxy ?? false,
    logger: { level: cli.logLevel },
    ...(cli.operatorToken === undefined ? {} : { operatorTokens: cli.operatorToken }),
    ...(cli.webRoot === undefined ? {} : { webRoot: cli.webRoot }),
    ...(cli.ticketKey === undefined ? {} : { ticketKeyPath: cli.ticketKey }),
    ...(cli.ticketKeyPem === undefined ? {} : { ticketKeyPem: cli.ticketKeyPem }),
    ...(cli.guestTokenSecret === undefined ? {} : { guestTokenSecret: cli.guestTokenSecret }),
    heartbeatIntervalMs: cli.heartbeatInterval,
    nodeTtlMs: cli.nodeTtl,
    ...(cli.guestTokensPerAddress === undefined ? {} : { rateLimits: { guestTokensPerAddress: cli.guestTokensPerAddress } }),
    dataDir: cli.dataDir,
    ...(cli.studioSignupToken === undefined ? {} : { studioSignupToken: cli.studioSignupToken }),
    ...(cli.maxUploadMb === undefined ? {} : { maxUploadBytes: cli.maxUploadMb * 1024 ** 2 }),
  }).catch(fatal('the control plane failed to start'));
  if (!cluster.isWorker) {
    if (cli.operatorToken === undefined) {
      // Printed once so the operator of this machine can start an edge node; pass --operator-token to choose one.
      log.warn({ operatorToken: controlPlane.operatorToken }, 'no operator token given: generated one');
    }
    log.info({ url: controlPlane.url }, 'control plane ready');
  }
  process.send?.({ kind: 'listening', url: controlPlane.url, pids: [process.pid] } satisfies ControlPlaneListening);
  stopOn(() => controlPlane.close());
}
