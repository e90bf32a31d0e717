import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CreateSessionRequest, Id, SessionCreated, SessionView } from '../../protocol/http.js';
import type { GuestAuth } from '../auth/guest-auth.js';
import { requirePlayer } from '../auth/player-auth.js';
import { errorResponses } from '../http/error-handling.js';
import type { RateLimits } from '../http/rate-limits.js';
import type { Matchmaker } from '../matchmaker/matchmaker.js';
import type { SessionService } from './session-service.js';

export const sessionRoutes: FastifyPluginAsyncTypebox<{ sessions: SessionService; matchmaker: Matchmaker; guestAuth: GuestAuth; limits: RateLimits }> = async (
  app,
  { sessions, matchmaker, guestAuth, limits },
) => {
  requirePlayer(app, guestAuth, limits);

  // Placement in one request, by distance alone: see Matchmaker.placeImmediately.
  app.post(
    '/v1/sessions',
    { schema: { body: CreateSessionRequest, response: { 201: SessionCreated, ...errorResponses } } },
    async (request, reply) => {
      const created = await matchmaker.placeImmediately(request.playerId, request.body.gameId, request.ip);
      reply.status(201);
      return created;
    },
  );

  app.get(
    '/v1/sessions/:sessionId',
    { schema: { params: Type.Object({ sessionId: Id }), response: { 200: SessionView, ...errorResponses } } },
    async (request) => sessions.view(request.playerId, request.params.sessionId),
  );
};
