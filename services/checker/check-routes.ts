/** Checkers' API (every request signed with a checker key) and each node's verification record. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CheckSessionGranted, CheckVerdict, NodeVerification, SignedCheckResult, SignedCheckSessionRequest } from '../../protocol/checks.js';
import { Id } from '../../protocol/http.js';
import { errorResponses } from '../http/error-handling.js';
import type { VerificationService } from './verification-service.js';

export const checkRoutes: FastifyPluginAsyncTypebox<{ verification: VerificationService }> = async (app, { verification }) => {
  app.post(
    '/v1/checks/sessions',
    { schema: { body: SignedCheckSessionRequest, response: { 201: CheckSessionGranted, ...errorResponses } } },
    async (request, reply) => {
      const granted = await verification.openCheckSession(request.body);
      reply.status(201);
      return granted;
    },
  );

  app.post(
    '/v1/checks/results',
    { schema: { body: SignedCheckResult, response: { 201: CheckVerdict, ...errorResponses } } },
    async (request, reply) => {
      const verdict = await verification.recordCheck(request.body);
      reply.status(201);
      return verdict;
    },
  );

  app.get(
    '/v1/nodes/:nodeId/verification',
    { schema: { params: Type.Object({ nodeId: Id }), response: { 200: NodeVerification, ...errorResponses } } },
    async (request) => verification.verification(request.params.nodeId),
  );
};
