/** The placement API players' pages speak (protocol/placement.ts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Id } from '../../protocol/http.js';
import { PlacementChoice, PlacementOffer, PlacementRequest, PlacementResult } from '../../protocol/placement.js';
import type { GuestAuth } from '../auth/guest-auth.js';
import { requirePlayer } from '../auth/player-auth.js';
import { errorResponses } from '../http/error-handling.js';
import type { RateLimits } from '../http/rate-limits.js';
import type { Matchmaker } from './matchmaker.js';

const PlacementParams = Type.Object({ placementId: Id });

export const placementRoutes: FastifyPluginAsyncTypebox<{ matchmaker: Matchmaker; guestAuth: GuestAuth; limits: RateLimits }> = async (app, { matchmaker, guestAuth, limits }) => {
  requirePlayer(app, guestAuth, limits);

  app.post(
    '/v1/placements',
    { schema: { body: PlacementRequest, response: { 201: PlacementOffer, ...errorResponses } } },
    async (request, reply) => {
      const offer = await matchmaker.offer(request.playerId, request.body, request.ip);
      reply.status(201);
      return offer;
    },
  );

  app.post(
    '/v1/placements/:placementId/choice',
    { schema: { params: PlacementParams, body: PlacementChoice, response: { 200: PlacementResult, ...errorResponses } } },
    async (request) => matchmaker.choose(request.playerId, request.params.placementId, request.body),
  );

  app.get(
    '/v1/placements/:placementId',
    // Queued players poll this every second or so: log only what goes wrong.
    { logLevel: 'warn', schema: { params: PlacementParams, response: { 200: PlacementResult, ...errorResponses } } },
    async (request) => matchmaker.poll(request.playerId, request.params.placementId),
  );

  app.delete(
    '/v1/placements/:placementId',
    { schema: { params: PlacementParams, response: { 204: Type.Null(), ...errorResponses } } },
    async (request, reply) => {
      await matchmaker.cancel(request.playerId, request.params.placementId);
      return reply.status(204).send(null);
    },
  );
};
