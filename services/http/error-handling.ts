/**
 * Every error leaves the API as `{ error: { code, message, details? } }` with the status that
 * protocol/errors.ts catalogues for the code.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorBody } from '../../protocol/errors.js';
import { ErrorResponse } from '../../protocol/http.js';

/** Response schemas for the error statuses, added to every route. */
export const errorResponses = { '4xx': ErrorResponse, '5xx': ErrorResponse } as const;

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.validation !== undefined) {
    return sendError(reply, new AppError('VALIDATION_FAILED', error.message, { part: error.validationContext, errors: error.validation }));
  }
  if (error instanceof AppError) {
    if (error.status >= 500) request.log.warn({ code: error.code }, error.message);
    return sendError(reply, error);
  }
  if (error.statusCode === 413) {
    return sendError(reply, new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than this endpoint takes (${request.routeOptions.bodyLimit ?? 0} bytes).`));
  }
  // Fastify's own client errors (malformed JSON, wrong content type) are safe to describe.
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return sendError(reply, new AppError('VALIDATION_FAILED', error.message, { fastifyCode: error.code }));
  }
  request.log.error({ err: error }, 'request failed');
  return sendError(reply, new AppError('INTERNAL'));
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, new AppError('ROUTE_NOT_FOUND', `There is no endpoint ${request.method} ${request.url.split('?')[0]}.`));
}

function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  const body: { error: ErrorBody } = { error: error.toBody() };
  return reply.status(error.status).send(body);
}
