import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Game, GameList, Id } from '../../protocol/http.js';
import { errorResponses } from '../http/error-handling.js';
import type { Catalogue } from './catalogue.js';

export const catalogueRoutes: FastifyPluginAsyncTypebox<{ catalogue: Catalogue }> = async (app, { catalogue }) => {
  app.get('/v1/games', { schema: { response: { 200: GameList, ...errorResponses } } }, async () => ({ games: catalogue.list() }));

  app.get(
    '/v1/games/:gameId',
    { schema: { params: Type.Object({ gameId: Id }), response: { 200: Game, ...errorResponses } } },
    async (request) => catalogue.get(request.params.gameId),
  );
};
