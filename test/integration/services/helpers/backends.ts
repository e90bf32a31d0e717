/** The store backends the API suites run against: the embedded one and a real redis-server. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { ControlPlaneOptions } from '../../../../services/app.js';
import { startRedis, type RedisServer } from '../../../support/redis.js';

export interface Backend {
  name: string;
  /** A store option with its own key space, so control planes in one file never see each other's data. */
  store(): NonNullable<ControlPlaneOptions['store']>;
}

/** Call at the top of a test file: starts redis-server for the file and stops it after. */
export function useBackends(): Backend[] {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return [
    { name: 'memory', store: () => 'memory' },
    {
      name: 'redis',
      store: () => {
        if (redis === undefined) throw new Error('redis-server is not running');
        return { redisUrl: redis.url, keyPrefix: `test:${randomUUID()}:` };
      },
    },
  ];
}
