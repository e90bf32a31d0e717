/**
 * The OpenAPI document of the whole HTTP API, generated from the routes' TypeBox schemas
 * (@fastify/swagger) and browsable at /docs (@fastify/swagger-ui; the JSON at /docs/json).
 * Both are registered on the root instance before the routes, so the document sees every route.
 */
import type { SwaggerOptions } from '@fastify/swagger';
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';

export const openApiOptions: SwaggerOptions = {
  openapi: {
    openapi: '3.0.3',
    info: {
      title: 'EdgePlay control plane',
      version: '1.0.0',
      description: 'Players, studios and edge nodes. Every error body is { error: { code, message } } with a code from protocol/errors.ts.',
    },
    tags: [
      { name: 'players', description: 'Catalogue, placement and sessions (guest token)' },
      { name: 'studios', description: 'Accounts, API keys, uploads, versions and channels (studio API key)' },
      { name: 'nodes', description: 'Registration, heartbeats, session reports and build downloads (signed with the node key)' },
    ],
    components: {
      securitySchemes: {
        studioKey: { type: 'http', scheme: 'bearer', description: 'A studio API key (eps_...)' },
        playerToken: { type: 'http', scheme: 'bearer', description: 'A guest token from POST /v1/auth/guest' },
        nodeSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'x-edgeplay-signature',
          description: 'Ed25519 signature over the request, with x-edgeplay-node-id and x-edgeplay-sent-at (protocol/build-manifest.ts)',
        },
      },
    },
  },
};

export const apiDocsUiOptions: FastifySwaggerUiOptions = { routePrefix: '/docs' };
