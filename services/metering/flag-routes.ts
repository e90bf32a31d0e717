/** The admin lists flagged usage records and resolves them (services/metering/flag-resolutions.ts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Id } from '../../protocol/http.js';
import { FlaggedQuery, FlaggedRecordList, FlagResolution, FlagResolved } from '../../protocol/metering.js';
import { bearerToken } from '../http/bearer.js';
import { errorResponses } from '../http/error-handling.js';
import type { AdminAuth } from '../operators/admin-auth.js';
import type { FlagResolutions } from './flag-resolutions.js';
import { period } from './metering-routes.js';

export const flagRoutes: FastifyPluginAsyncTypebox<{ resolutions: FlagResolutions; admin: AdminAuth }> = async (app, { resolutions, admin }) => {
  // Checked before the body is parsed, so strangers learn nothing from validation.
  const adminOnly = async (request: FastifyRequest) => admin.authenticate(bearerToken(request));

  app.get(
    '/v1/admin/flagged-usage',
    { onRequest: adminOnly, schema: { querystring: FlaggedQuery, response: { 200: FlaggedRecordList, ...errorResponses } } },
    async (request) => {
      const { from, to } = period(request.query);
      return { records: await resolutions.list(request.query.state ?? 'open', from, to) };
    },
  );

  app.post(
    '/v1/admin/flagged-usage/:sessionId/resolution',
    { onRequest: adminOnly, schema: { params: Type.Object({ sessionId: Id }), body: FlagResolution, response: { 200: FlagResolved, ...errorResponses } } },
    async (request) => resolutions.resolve(request.params.sessionId, request.body),
  );
};
