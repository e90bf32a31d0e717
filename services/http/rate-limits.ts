/**
 * How fast players may call the control plane: per address before any token is checked (so a
 * flood costs a counter, not a signature check), per player after, and guest tokens per address
 * (each is a new player, so per-player limits alone would not bound them). The counts live in
 * Redis when the store does, so every instance sees the same ones; in this process otherwise.
 */
import type { FastifyRateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import { AppError } from '../../protocol/errors.js';

export interface RateLimitPolicy {
  /** Requests a minute one address may make to the player API (placements, sessions). */
  playerApiPerAddress: number;
  /** Requests a minute one player may make to it: a queued player polls about once a second. */
  playerApiPerPlayer: number;
  /** Guest tokens a minute one address may get. */
  guestTokensPerAddress: number;
}

/** Room for a household or a small office behind one address, not for a script. */
export const DEFAULT_RATE_LIMITS: RateLimitPolicy = {
  playerApiPerAddress: 600,
  playerApiPerPlayer: 180,
  guestTokensPerAddress: 20,
};

const WINDOW_MS = 60_000;

/** Counts the request against one limit; throws RATE_LIMITED once the limit is spent. */
export type RateLimit = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface RateLimits {
  playerApiPerAddress: RateLimit;
  /** Only after the player is known (request.playerId). */
  playerApiPerPlayer: RateLimit;
  guestTokensPerAddress: RateLimit;
}

const unlimited: RateLimit = async () => {};

/** Where @fastify/rate-limit keeps its counts: beside the store's keys in Redis, or in this process. */
export function rateLimitCounters(redis?: { client: Redis | Cluster; keyPrefix: string }): FastifyRateLimitOptions {
  return {
    global: false,
    // A counter that cannot be read must not take the API down with it.
    skipOnError: true,
    ...(redis === undefined ? {} : { redis: redis.client, nameSpace: `${redis.keyPrefix}rate:` }),
  };
}

/**
 * The limits, counted by `app`'s @fastify/rate-limit (registered with rateLimitCounters); false:
 * no limits at all, for load tests that speak for many players from one address.
 */
export function playerRateLimits(app: Pick<FastifyInstance, 'createRateLimit'>, policy: RateLimitPolicy | false): RateLimits {
  if (policy === false) return { playerApiPerAddress: unlimited, playerApiPerPlayer: unlimited, guestTokensPerAddress: unlimited };
  const limit = (name: keyof RateLimitPolicy, key: (request: FastifyRequest) => string, what: string): RateLimit => {
    const count = app.createRateLimit({ max: policy[name], timeWindow: WINDOW_MS, keyGenerator: (request) => `${name}:${key(request)}` });
    return async (request, reply) => {
      const counted = await count(request);
      if (counted.isAllowed || !counted.isExceeded) return;
      const retryAfterS = Math.max(1, counted.ttlInSeconds);
      reply.header('retry-after', String(retryAfterS));
      request.log.warn({ limit: name, key: counted.key }, 'rate limited');
      throw new AppError('RATE_LIMITED', `Too many ${what} (at most ${counted.max} a minute); try again in ${retryAfterS} s.`, { limit: name, retryAfterS });
    };
  };
  return {
    playerApiPerAddress: limit('playerApiPerAddress', (request) => request.ip, 'requests from your address'),
    playerApiPerPlayer: limit('playerApiPerPlayer', (request) => request.playerId, 'requests from you'),
    guestTokensPerAddress: limit('guestTokensPerAddress', (request) => request.ip, 'new players from your address'),
  };
}
