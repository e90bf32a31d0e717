/** The OpenAPI document generated from the route schemas covers players', studios' and nodes' endpoints, and /docs serves it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlPlane, type ControlPlane } from '../../../services/app.js';
import { api } from './helpers/http.js';

describe('OpenAPI document', () => {
  let controlPlane: ControlPlane;

  beforeAll(async () => {
    controlPlane = await createControlPlane({ logger: { level: 'silent' } });
  });

  afterAll(async () => {
    await controlPlane?.close();
  });

  it('describes every group of endpoints with their schemas', async () => {
    const doc = await api<{ openapi: string; paths: Record<string, Record<string, { requestBody?: unknown; tags?: string[] }>> }>(controlPlane.url, '/docs/json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.body.paths);
    for (const path of [
      '/v1/games',
      '/v1/placements',
      '/v1/nodes/register',
      '/v1/nodes/{nodeId}/heartbeat',
      '/v1/studios',
      '/v1/studio',
      '/v1/studio/games/{gameId}/versions/{version}/publish',
      '/v1/uploads',
      '/v1/builds/{buildId}/archive',
      '/v1/games/{gameId}/cover',
    ]) {
      expect(paths).toContain(path);
    }
    expect(doc.body.paths['/v1/studios']?.post?.requestBody).toBeDefined();
    expect(doc.body.paths['/v1/builds/{buildId}/archive']?.get?.tags).toEqual(['nodes']);
  });

  it('serves the browsable documentation at /docs', async () => {
    const page = await fetch(new URL('/docs/', controlPlane.url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger');
  });

  it('publishes the JSON Schema of game.json', async () => {
    const schema = await api<{ properties: Record<string, unknown>; required: string[] }>(controlPlane.url, '/v1/schemas/game.json');
    expect(schema.body.required).toEqual(expect.arrayContaining(['id', 'version', 'runtime', 'entry', 'needs']));
    expect(Object.keys(schema.body.properties)).toContain('cover');
  });
});
