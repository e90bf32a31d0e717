import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../http/bearer.js';
import type { RateLimits } from '../http/rate-limits.js';
import type { GuestAuth } from './guest-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated player, on the routes that require one. */
    playerId: string;
  }
}

/**
 * Requires a player token on every route of the plugin `app` is. It is checked before the body is
 * parsed, so an anonymous caller learns nothing about validation; the caller's address is counted
 * before the token is checked, and the player after.
 */
export function requirePlayer(app: FastifyInstance, guestAuth: GuestAuth, limits: Pick<RateLimits, 'playerApiPerAddress' | 'playerApiPerPlayer'>): void {
  app.decorateRequest('playerId', '');
  app.addHook('onRequest', async (request, reply) => {
    await limits.playerApiPerAddress(request, reply);
    request.playerId = guestAuth.authenticate(bearerToken(request));
    await limits.playerApiPerPlayer(request, reply);
  });
}
