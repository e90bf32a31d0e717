import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CreateSessionRequest, Id, SessionCreated, SessionView } from '../../protocol/http.js';
import type { GuestAuth } from '../auth/guest-auth.js';
import { bearerToken } from '../http/bearer.js';
import { errorResponses } from '../http/error-handling.js';
import type { SessionService } from './session-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated player, on the routes that require one. */
    playerId: string;
  }
}

export const sessionRoutes: FastifyPluginAsyncTypebox<{ sessions: SessionService; guestAuth: GuestAuth }> = async (
  app,
  { sessions, guestAuth },
) => {
  app.decorateRequest('playerId', '');
  // Authenticate before the body is parsed, so an anonymous caller learns nothing about validation.
  app.addHook('onRequest', async (request) => {
    request.playerId = await guestAuth.authenticate(bearerToken(request));
  });

  app.post(
    '/v1/sessions',
    { schema: { body: CreateSessionRequest, response: { 201: SessionCreated, ...errorResponses } } },
    async (request, reply) => {
      const created = await sessions.create(request.playerId, request.body.gameId);
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
