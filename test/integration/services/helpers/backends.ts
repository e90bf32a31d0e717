/** The store backends the API suites run against: the embedded one, a real redis-server, a real Redis Cluster. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { ControlPlaneOptions } from '../../../../services/app.js';
import { MemoryStore } from '../../../../services/store/memory-store.js';
import { RedisStore, type RedisStoreOptions } from '../../../../services/store/redis-store.js';
import type { Store } from '../../../../services/store/store.js';
import { startRedis, type RedisServer } from '../../../support/redis.js';
import { startRedisCluster, type RedisCluster } from '../../../support/redis-cluster.js';

export type BackendName = 'memory' | 'redis' | 'redis-cluster';

export interface Backend {
  name: BackendName;
  /** A store option with its own key space, so control planes in one file never see each other's data. */
  store(): NonNullable<ControlPlaneOptions['store']>;
}

/** Call at the top of a test file: starts the servers the named backends need for the file and stops them after. */
export function useBackends(names: readonly BackendName[] = ['memory', 'redis']): Backend[] {
  let redis: RedisServer | undefined;
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    if (names.includes('redis')) redis = await startRedis();
    if (names.includes('redis-cluster')) cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await redis?.stop();
    await cluster?.stop();
  });
  const keyPrefix = () => `test:${randomUUID()}:`;
  const all: Backend[] = [
    { name: 'memory', store: () => 'memory' },
    {
      name: 'redis',
      store: () => {
        if (redis === undefined) throw new Error('redis-server is not running');
        return { redisUrl: redis.url, keyPrefix: keyPrefix() };
      },
    },
    {
      name: 'redis-cluster',
      store: () => {
        if (cluster === undefined) throw new Error('the Redis Cluster is not running');
        return { redisCluster: cluster.nodes, keyPrefix: keyPrefix() };
      },
    },
  ];
  return all.filter((backend) => names.includes(backend.name));
}

export type StoreOption = ReturnType<Backend['store']>;

/** A store of its own on the backend the option names; several opened from one Redis option share its data. */
/** RedisStore options a test may set. */
export type StoreTuning = Pick<RedisStoreOptions, 'cellIndexRefreshMs' | 'replicateIndex' | 'replicaSweepMs'>;

export async function openStore(option: StoreOption, tuning: StoreTuning = {}): Promise<Store> {
  return option === 'memory' ? new MemoryStore() : RedisStore.connect(option, { keyPrefix: option.keyPrefix, ...tuning });
}
