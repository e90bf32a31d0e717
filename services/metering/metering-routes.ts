/** Players hand in their signed usage records; operators read their earnings statements. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Id } from '../../protocol/http.js';
import { EarningsStatement, PeriodQuery, SignedPlayerUsage, UsageAccepted } from '../../protocol/metering.js';
import type { GuestAuth } from '../auth/guest-auth.js';
import { requirePlayer } from '../auth/player-auth.js';
import { bearerToken } from '../http/bearer.js';
import { errorResponses } from '../http/error-handling.js';
import type { RateLimits } from '../http/rate-limits.js';
import type { OperatorAccounts } from '../operators/operator-accounts.js';
import type { MeteringService } from './metering-service.js';

/** A statement without `from` covers the last 30 days. */
export const DEFAULT_PERIOD_MS = 30 * 24 * 3600 * 1000;

export function period(query: PeriodQuery): { from: number; to: number } {
  const to = query.to === undefined ? Date.now() : Number(query.to);
  return { from: query.from === undefined ? to - DEFAULT_PERIOD_MS : Number(query.from), to };
}

export const playerUsageRoutes: FastifyPluginAsyncTypebox<{ metering: MeteringService; guestAuth: GuestAuth; limits: RateLimits }> = async (app, { metering, guestAuth, limits }) => {
  requirePlayer(app, guestAuth, limits);
  app.post(
    '/v1/sessions/:sessionId/usage',
    { schema: { params: Type.Object({ sessionId: Id }), body: SignedPlayerUsage, response: { 200: UsageAccepted, ...errorResponses } } },
    async (request) => metering.recordPlayerUsage(request.playerId, request.params.sessionId, request.body),
  );
};

export const earningsRoutes: FastifyPluginAsyncTypebox<{ metering: MeteringService; operatorTokens: Pick<OperatorAccounts, 'authenticate'> }> = async (app, { metering, operatorTokens }) => {
  app.get(
    '/v1/operators/me/earnings',
    { schema: { querystring: PeriodQuery, response: { 200: EarningsStatement, ...errorResponses } } },
    async (request) => {
      const operatorId = await operatorTokens.authenticate(bearerToken(request));
      const { from, to } = period(request.query);
      return metering.statement(operatorId, from, to);
    },
  );
};
