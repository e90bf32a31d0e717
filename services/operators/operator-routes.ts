/**
 * The operator-account API. The admin creates and closes accounts; the admin or the operator
 * itself issues and revokes the account's tokens and revokes its nodes' keys. Tokens are checked
 * before bodies are parsed, so strangers learn nothing from validation.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../protocol/errors.js';
import {
  CreateOperatorRequest,
  IssueOperatorTokenRequest,
  NodeKeyRevoked,
  OperatorCreated,
  OperatorNodeParams,
  OperatorParams,
  OperatorTokenIssued,
  OperatorTokenParams,
  OperatorTokenView,
  OperatorView,
} from '../../protocol/operators.js';
import { bearerToken } from '../http/bearer.js';
import { errorResponses } from '../http/error-handling.js';
import type { NodeRegistry } from '../registry/node-registry.js';
import type { AdminAuth } from './admin-auth.js';
import type { OperatorAccounts } from './operator-accounts.js';

export interface OperatorRoutesOptions {
  accounts: OperatorAccounts;
  admin: AdminAuth;
  registry: NodeRegistry;
}

export const operatorRoutes: FastifyPluginAsyncTypebox<OperatorRoutesOptions> = async (app, { accounts, admin, registry }) => {
  const adminOnly = async (request: FastifyRequest) => admin.authenticate(bearerToken(request));
  /** The admin, or the operator the URL names (by one of its own tokens). */
  const adminOrSelf = async (request: FastifyRequest) => {
    const token = bearerToken(request);
    if (admin.isAdmin(token)) return;
    const operatorId = await accounts.authenticate(token);
    if (operatorId !== (request.params as { operatorId?: unknown }).operatorId) {
      throw new AppError('FORBIDDEN', 'An operator token acts only on its own account.');
    }
  };

  app.post(
    '/v1/operators',
    { onRequest: adminOnly, schema: { body: CreateOperatorRequest, response: { 201: OperatorCreated, ...errorResponses } } },
    async (request, reply) => {
      reply.status(201);
      return accounts.createOperator(request.body.name, request.body.tokenTtlDays);
    },
  );

  app.get(
    '/v1/operators/:operatorId',
    { onRequest: adminOrSelf, schema: { params: OperatorParams, response: { 200: OperatorView, ...errorResponses } } },
    async (request) => accounts.view(request.params.operatorId),
  );

  app.delete(
    '/v1/operators/:operatorId',
    { onRequest: adminOnly, schema: { params: OperatorParams, response: { 200: OperatorView, ...errorResponses } } },
    async (request) => accounts.closeOperator(request.params.operatorId),
  );

  app.post(
    '/v1/operators/:operatorId/tokens',
    {
      onRequest: adminOrSelf,
      schema: { params: OperatorParams, body: IssueOperatorTokenRequest, response: { 201: OperatorTokenIssued, ...errorResponses } },
    },
    async (request, reply) => {
      reply.status(201);
      return accounts.issueToken(request.params.operatorId, request.body.ttlDays);
    },
  );

  app.delete(
    '/v1/operators/:operatorId/tokens/:tokenId',
    { onRequest: adminOrSelf, schema: { params: OperatorTokenParams, response: { 200: OperatorTokenView, ...errorResponses } } },
    async (request) => accounts.revokeToken(request.params.operatorId, request.params.tokenId),
  );

  app.post(
    '/v1/operators/:operatorId/nodes/:nodeId/revoke',
    { onRequest: adminOrSelf, schema: { params: OperatorNodeParams, response: { 200: NodeKeyRevoked, ...errorResponses } } },
    async (request) => {
      const revoked = await accounts.revokeNodeKey(request.params.operatorId, request.params.nodeId);
      await registry.endLiveness(revoked.nodeId);
      return revoked;
    },
  );
};
