/** The operator page's API, behind the operator's token. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PeriodQuery } from '../../protocol/metering.js';
import { OperatorOverview } from '../../protocol/operator-overview.js';
import { bearerToken } from '../http/bearer.js';
import { errorResponses } from '../http/error-handling.js';
import { period } from '../metering/metering-routes.js';
import type { OperatorAccounts } from './operator-accounts.js';
import type { OperatorOverviewService } from './operator-overview.js';

export const operatorOverviewRoutes: FastifyPluginAsyncTypebox<{ overview: OperatorOverviewService; operatorTokens: Pick<OperatorAccounts, 'authenticate'> }> = async (app, { overview, operatorTokens }) => {
  app.get(
    '/v1/operators/me/overview',
    { schema: { querystring: PeriodQuery, response: { 200: OperatorOverview, ...errorResponses } } },
    async (request) => {
      const operatorId = await operatorTokens.authenticate(bearerToken(request));
      const { from, to } = period(request.query);
      return overview.overview(operatorId, from, to);
    },
  );
};
