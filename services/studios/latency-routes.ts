/**
 * Players' pages report the input-to-frame latency they measured in a session, for the studio's
 * page. A player may report only on their own session, values are bounded by the schema, and a
 * later report replaces an earlier one: a dishonest player can misstate only their own session.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../protocol/errors.js';
import { Id } from '../../protocol/http.js';
import { LatencyReport } from '../../protocol/studio.js';
import type { GuestAuth } from '../auth/guest-auth.js';
import { requirePlayer } from '../auth/player-auth.js';
import { errorResponses } from '../http/error-handling.js';
import type { RateLimits } from '../http/rate-limits.js';
import type { Store } from '../store/store.js';
import type { StudioStore } from './studio-store.js';

export const latencyRoutes: FastifyPluginAsyncTypebox<{ studios: StudioStore; store: Store; guestAuth: GuestAuth; limits: RateLimits }> = async (
  app,
  { studios, store, guestAuth, limits },
) => {
  requirePlayer(app, guestAuth, limits);
  app.put(
    '/v1/sessions/:sessionId/latency',
    {
      schema: {
        tags: ['players'],
        params: Type.Object({ sessionId: Id }),
        body: LatencyReport,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const session = await store.getSession(request.params.sessionId);
      if (session === null || session.playerId !== request.playerId) throw new AppError('SESSION_NOT_FOUND');
      // Only studio games have a page to show it on; the demo's sessions are not kept.
      if ((await studios.gameOwner(session.gameId)) !== null) await studios.putLatency(session.sessionId, request.body);
      return reply.status(204).send(null);
    },
  );
};
