/** The API's shared HTTP behaviour: catalogue, errors, CORS, static files, metrics. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorResponse, Game, GameList } from '../../../protocol/http.js';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { DEMO_GAME } from '../../../services/catalogue/catalogue.js';
import { api } from './helpers/http.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

describe('control plane HTTP', () => {
  let controlPlane: ControlPlane;
  let webRoot: string;

  beforeAll(async () => {
    webRoot = await mkdtemp(join(tmpdir(), 'edgeplay-web-'));
    await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>edgeplay</title>');
    await writeFile(join(webRoot, 'app.js'), 'export {};');
    controlPlane = await createControlPlane({ logger: { level: 'silent' }, webRoot });
  });

  afterAll(async () => {
    await controlPlane?.close();
    await rm(webRoot, { recursive: true, force: true });
  });

  it('listens where it says, on 127.0.0.1 by default', () => {
    expect(new URL(controlPlane.url).hostname).toBe('127.0.0.1');
  });

  it('lists the catalogue, with the built-in demo game', async () => {
    const list = await api<GameList>(controlPlane.url, '/v1/games');
    expect(list).toMatchObject({ status: 200, body: { games: [DEMO_GAME] } });
    const game = await api<Game>(controlPlane.url, `/v1/games/${DEMO_GAME.id}`);
    expect(game).toMatchObject({ status: 200, body: DEMO_GAME });
  });

  it('answers an unknown game with 404 GAME_NOT_FOUND', async () => {
    const response = await api<ErrorResponse>(controlPlane.url, '/v1/games/nothing-here');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'GAME_NOT_FOUND', message: expect.any(String) } });
  });

  it('answers a malformed path parameter with 400 VALIDATION_FAILED and the schema errors', async () => {
    const response = await api<ErrorResponse>(controlPlane.url, '/v1/games/not%20valid');
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { part: 'params', errors: [{ keyword: 'pattern' }] } });
  });

  it('answers an unknown endpoint with 404 ROUTE_NOT_FOUND', async () => {
    for (const [method, path] of [['GET', '/v1/nope'], ['POST', '/v1/games'], ['DELETE', '/v1/nodes']] as const) {
      const response = await api<ErrorResponse>(controlPlane.url, path, { method });
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('ROUTE_NOT_FOUND');
    }
  });

  it('lets pages from any origin call the API', async () => {
    const response = await api(controlPlane.url, '/v1/games', { headers: { origin: 'http://localhost:5173' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');

    const preflight = await fetch(new URL('/v1/sessions', controlPlane.url), {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');

    const error = await api(controlPlane.url, '/v1/nope', { headers: { origin: 'http://localhost:5173' } });
    expect(error.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('serves the web client from the web root, index.html at /', async () => {
    const index = await fetch(new URL('/', controlPlane.url));
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('<title>edgeplay</title>');
    const script = await fetch(new URL('/app.js', controlPlane.url));
    expect(script.status).toBe(200);
    const missing = await api<ErrorResponse>(controlPlane.url, '/missing.js');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('exposes Prometheus metrics', async () => {
    const response = await fetch(new URL('/metrics', controlPlane.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    for (const name of ['edgeplay_sessions_created_total', 'edgeplay_placements_failed_total', 'edgeplay_heartbeats_total']) {
      expect(text).toContain(`# TYPE ${name} counter`);
    }
  });

  it('issues guest player tokens, with or without an empty JSON body', async () => {
    const response = await api<{ playerId: string; token: string }>(controlPlane.url, '/v1/auth/guest', { method: 'POST' });
    expect(response.status).toBe(201);
    expect(response.body.playerId).toMatch(/^p[0-9a-f]{20}$/);
    expect(response.body.token.split('.')).toHaveLength(3);
    const withBody = await api<{ playerId: string }>(controlPlane.url, '/v1/auth/guest', { body: {} });
    expect(withBody.status).toBe(201);
    expect(withBody.body.playerId).not.toBe(response.body.playerId);
  });

  it('logs through a given pino logger, naming the component and the node', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logged = await createControlPlane({ logger: pino({ level: 'info' }, sink) });
    try {
      const node = new TestEdgeNode(logged.url, logged.operatorToken);
      await node.register();
      expect(lines).toContainEqual(expect.objectContaining({ component: 'node-registry', nodeId: node.nodeId, msg: 'node registered' }));
      expect(lines).toContainEqual(expect.objectContaining({ component: 'http' }));
      expect(JSON.stringify(lines)).not.toContain(logged.operatorToken);
    } finally {
      await logged.close();
    }
  });
});
