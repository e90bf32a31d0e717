/** Tells a caller the address its request came from: `edgeplay-node join` learns its rig's public address here. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PublicAddress } from '../../protocol/operators.js';
import { errorResponses } from '../http/error-handling.js';

export const addressRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/nodes/public-address', { schema: { response: { 200: PublicAddress, ...errorResponses } } }, async (request) => ({ address: request.ip }));
};
