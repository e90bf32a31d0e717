/** The error envelope, exercised through a real fastify instance with the control plane's handlers. */
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../protocol/errors.js';
import { errorHandler, errorResponses, notFoundHandler } from '../../../services/http/error-handling.js';

describe('error handling', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false, coerceTypes: false } } });
    app.setErrorHandler(errorHandler);
    app.setNotFoundHandler(notFoundHandler);
    app.get('/app-error', { schema: { response: errorResponses } }, async () => {
      throw new AppError('NO_CAPACITY', 'All busy.', { retryAfterS: 5 });
    });
    app.get('/crash', { schema: { response: errorResponses } }, async () => {
      throw new Error('connection to 10.0.0.5:6379 refused, password=hunter2');
    });
    app.post('/strict', { schema: { body: Type.Object({ n: Type.Integer() }, { additionalProperties: false }), response: errorResponses } }, async () => ({}));
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
  });

  it('sends an AppError with its catalogued status, code, message and details', async () => {
    const response = await app.inject({ method: 'GET', url: '/app-error' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: { code: 'NO_CAPACITY', message: 'All busy.', details: { retryAfterS: 5 } } });
  });

  it('hides unexpected failures behind 500 INTERNAL', async () => {
    const response = await app.inject({ method: 'GET', url: '/crash' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: { code: 'INTERNAL', message: 'Something went wrong on our side.' } });
    expect(response.body).not.toContain('hunter2');
  });

  it('reports schema violations as 400 VALIDATION_FAILED with the validator errors', async () => {
    const response = await app.inject({ method: 'POST', url: '/strict', payload: { n: '1', extra: true } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: { code: 'VALIDATION_FAILED', details: { part: 'body', errors: [{ instancePath: expect.any(String), keyword: expect.any(String) }] } },
    });
  });

  it('reports unparseable bodies as 400 VALIDATION_FAILED', async () => {
    const response = await app.inject({ method: 'POST', url: '/strict', headers: { 'content-type': 'application/json' }, payload: '{"n":' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { fastifyCode: expect.any(String) } } });
  });

  it('answers unknown endpoints with 404 ROUTE_NOT_FOUND', async () => {
    const response = await app.inject({ method: 'GET', url: '/nothing?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'ROUTE_NOT_FOUND', message: 'There is no endpoint GET /nothing.' } });
  });
});
