import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../http/bearer.js';
import type { GuestAuth } from './guest-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated player, on the routes that require one. */
    playerId: string;
  }
}

/**
 * Requires a player token on every route of the plugin `app` is. It is checked before the body is
 * parsed, so an anonymous caller learns nothing about validation.
 */
export function requirePlayer(app: FastifyInstance, guestAuth: GuestAuth): void {
  app.decorateRequest('playerId', '');
  app.addHook('onRequest', async (request) => {
    request.playerId = guestAuth.authenticate(bearerToken(request));
  });
}
