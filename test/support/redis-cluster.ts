/**
 * A throwaway Redis Cluster for integration tests: three masters (no replicas) on free ports, the
 * slots spread by `redis-cli --cluster create`, ready once every node reports cluster_state:ok.
 * Stopping kills the servers and deletes their cluster config files.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { startRedisServer, withFreshPorts, type RedisServer } from './redis.js';

export interface RedisCluster {
  /** "127.0.0.1:port" of every master: the seed list for ioredis' Cluster. */
  nodes: string[];
  stop(): Promise<void>;
}

const REDIS_CLI_BIN = process.env.REDIS_CLI_BIN ?? '/usr/bin/redis-cli';
const MASTERS = 3;
const READY_TIMEOUT_MS = 20_000;

export async function startRedisCluster(): Promise<RedisCluster> {
  return withFreshPorts(startOnce);
}

async function startOnce(): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeplay-redis-cluster-'));
  const servers: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < MASTERS; i++) {
      // The cluster bus port is set explicitly: the default, port + 10000, may be taken or out of range.
      const busPort = await freePort();
      servers.push(
        await startRedisServer([
          '--cluster-enabled', 'yes',
          '--cluster-port', String(busPort),
          '--cluster-config-file', join(dir, `nodes-${i}.conf`),
          '--dir', dir,
          '--cluster-node-timeout', '5000',
        ]),
      );
    }
    const nodes = servers.map((server) => `127.0.0.1:${server.port}`);
    await promisify(execFile)(REDIS_CLI_BIN, ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: READY_TIMEOUT_MS });
    await Promise.all(servers.map((server) => waitForClusterOk(server.url)));
    return { nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForClusterOk(url: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await client.cluster('INFO')).includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error(`${url} did not reach cluster_state:ok`);
      await sleep(50);
    }
  } finally {
    client.disconnect();
  }
}
