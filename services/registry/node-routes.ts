/** The API edge nodes speak: registration with an operator token, and every message signed with the node key. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  HeartbeatAck,
  Id,
  NodeList,
  NodeRegistered,
  SessionView,
  NodeHeartbeat,
  SignedRegistration,
  SignedSessionEnd,
  SignedSessionStart,
} from '../../protocol/http.js';
import { AppError } from '../../protocol/errors.js';
import type { OperatorAccounts } from '../operators/operator-accounts.js';
import { bearerToken } from '../http/bearer.js';
import { errorResponses } from '../http/error-handling.js';
import type { MeteringService } from '../metering/metering-service.js';
import type { SessionService } from '../sessions/session-service.js';
import type { AdminAuth } from '../operators/admin-auth.js';
import type { NodeAdmission } from './node-admission.js';
import { nodeIdForPublicKey } from './node-id.js';
import { ADMIN_VIEWER, type NodeRegistry } from './node-registry.js';

export interface NodeRoutesOptions {
  registry: NodeRegistry;
  sessions: SessionService;
  operatorTokens: Pick<OperatorAccounts, 'authenticate'>;
  /** Records each end report as the node's signed usage record. */
  metering?: MeteringService;
  /** Caps node keys per address and per operator. */
  admission?: NodeAdmission;
  /** The admin sees every node in full on GET /v1/nodes. */
  admin?: Pick<AdminAuth, 'isAdmin'>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The operator whose token registers a node, on the registration route. */
    operatorId: string;
  }
}

const NodeParams = Type.Object({ nodeId: Id });
const NodeSessionParams = Type.Object({ nodeId: Id, sessionId: Id });

export const nodeRoutes: FastifyPluginAsyncTypebox<NodeRoutesOptions> = async (app, { registry, sessions, operatorTokens, metering, admission, admin }) => {
  app.decorateRequest('operatorId', '');
  app.post(
    '/v1/nodes/register',
    {
      // The operator token is checked before the body is parsed, so strangers learn nothing from validation.
      onRequest: async (request) => {
        request.operatorId = await operatorTokens.authenticate(bearerToken(request));
      },
      attachValidation: true,
      schema: { body: SignedRegistration, response: { 200: NodeRegistered, ...errorResponses } },
    },
    async (request) => {
      if (request.validationError !== undefined) {
        const { message, validation, validationContext } = request.validationError;
        throw new AppError('REGISTRATION_INVALID', `The join request is malformed: ${message}`, { part: validationContext, errors: validation });
      }
      await admission?.admit(nodeIdForPublicKey(request.body.payload.publicKey), request.operatorId, request.ip);
      return registry.register(request.operatorId, request.body);
    },
  );

  // A token, when sent, must be valid: a wrong one is refused rather than quietly shown less.
  app.get('/v1/nodes', { schema: { response: { 200: NodeList, ...errorResponses } } }, async (request) => {
    const token = bearerToken(request);
    if (token === null) return registry.list(null);
    return registry.list(admin?.isAdmin(token) === true ? ADMIN_VIEWER : await operatorTokens.authenticate(token));
  });

  app.post(
    '/v1/nodes/:nodeId/heartbeat',
    // Every node heartbeats every few seconds: log only what goes wrong.
    { logLevel: 'warn', schema: { params: NodeParams, body: NodeHeartbeat, response: { 200: HeartbeatAck, ...errorResponses } } },
    async (request) => registry.heartbeat(request.params.nodeId, request.body),
  );

  app.post(
    '/v1/nodes/:nodeId/sessions/:sessionId/start',
    { schema: { params: NodeSessionParams, body: SignedSessionStart, response: { 200: SessionView, ...errorResponses } } },
    async (request) => {
      const { nodeId, sessionId } = request.params;
      const { payload, signature } = request.body;
      checkSessionId(sessionId, payload.sessionId);
      await registry.authenticate(nodeId, payload, signature);
      return sessions.markStarted(nodeId, payload);
    },
  );

  app.post(
    '/v1/nodes/:nodeId/sessions/:sessionId/end',
    { schema: { params: NodeSessionParams, body: SignedSessionEnd, response: { 200: SessionView, ...errorResponses } } },
    async (request) => {
      const { nodeId, sessionId } = request.params;
      const { payload, signature } = request.body;
      checkSessionId(sessionId, payload.sessionId);
      await registry.authenticate(nodeId, payload, signature);
      const ended = await sessions.markEnded(nodeId, payload);
      await metering?.recordNodeUsage(nodeId, request.body);
      return ended;
    },
  );
};

function checkSessionId(inUrl: string, inPayload: string): void {
  if (inUrl !== inPayload) {
    throw new AppError('VALIDATION_FAILED', `The payload names session ${inPayload}, the URL names ${inUrl}.`);
  }
}
