import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ControlPlaneMetrics } from './metrics.js';

export const metricsRoutes: FastifyPluginAsyncTypebox<{ metrics: ControlPlaneMetrics }> = async (app, { metrics }) => {
  app.get('/metrics', { schema: { response: { 200: Type.String() } } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
