import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { GuestToken } from '../../protocol/http.js';
import { errorResponses } from '../http/error-handling.js';
import type { RateLimits } from '../http/rate-limits.js';
import type { GuestAuth } from './guest-auth.js';

export const authRoutes: FastifyPluginAsyncTypebox<{ guestAuth: GuestAuth; limits: Pick<RateLimits, 'guestTokensPerAddress'> }> = async (app, { guestAuth, limits }) => {
  app.post('/v1/auth/guest', { onRequest: limits.guestTokensPerAddress, schema: { response: { 201: GuestToken, ...errorResponses } } }, async (_request, reply) => {
    reply.status(201);
    return guestAuth.issue();
  });
};
