/**
 * Builds as nodes and players reach them: nodes download published archives (whole or by range)
 * with requests signed by their registered key (protocol/build-manifest.ts); players see covers;
 * anyone may read the manifest's JSON Schema.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { BUILD_ROUTES, BuildId, BuildInfo, BuildManifest, buildEtag } from '../../protocol/build-manifest.js';
import { parseByteRange } from '../../protocol/byte-range.js';
import { authoriseBuildFetch } from './build-fetch-auth.js';
import { AppError } from '../../protocol/errors.js';
import { Id } from '../../protocol/http.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import { errorResponses } from '../http/error-handling.js';
import type { NodeRegistry } from '../registry/node-registry.js';
import type { BuildRecord, StudioStore } from '../studios/studio-store.js';
import type { BuildStorage } from './build-storage.js';

export interface BuildRoutesOptions {
  studios: StudioStore;
  storage: BuildStorage;
  registry: NodeRegistry;
  catalogue: Catalogue;
}

const BuildParams = Type.Object({ buildId: BuildId });
const nodeSecurity = [{ nodeSignature: [] }];
const ArchiveBytes = Type.Unknown({ description: 'the archive bytes (application/gzip or application/zip)' });

export const buildRoutes: FastifyPluginAsyncTypebox<BuildRoutesOptions> = async (app, { studios, storage, registry, catalogue }) => {
  /** The published build a live node signed this request for. */
  async function authorisedBuild(request: FastifyRequest, buildId: string): Promise<BuildRecord> {
    return (await authoriseBuildFetch(request, buildId, { registry, studios })).build;
  }

  app.get(
    BUILD_ROUTES.info(':buildId'),
    { schema: { tags: ['nodes'], security: nodeSecurity, params: BuildParams, response: { 200: BuildInfo, ...errorResponses } } },
    async (request) => {
      const build = await authorisedBuild(request, request.params.buildId);
      return { buildId: build.buildId, sizeBytes: build.sizeBytes, format: build.format, manifest: build.manifest, uploadedAt: build.uploadedAt };
    },
  );

  for (const method of ['GET', 'HEAD'] as const) {
    app.route({
      method,
      url: BUILD_ROUTES.archive(':buildId'),
      exposeHeadRoute: false,
      schema: {
        tags: ['nodes'],
        security: nodeSecurity,
        summary: 'A build archive, whole or one byte range (Range, If-Range; ETag is the SHA-256)',
        params: BuildParams,
        response: { 200: ArchiveBytes, 206: ArchiveBytes, ...errorResponses },
      },
      handler: async (request, reply) => {
        const build = await authorisedBuild(request, request.params.buildId);
        const size = await storage.size(build.buildId);
        if (size === null) throw new AppError('BUILD_NOT_FOUND', `Build ${build.buildId} is missing from storage.`);
        const etag = buildEtag(build.buildId);
        const ifRange = request.headers['if-range'];
        const range = ifRange === undefined || ifRange === etag ? parseByteRange(request.headers.range, size) : undefined;
        reply
          .header('accept-ranges', 'bytes')
          .header('etag', etag)
          .header('content-type', build.format === 'zip' ? 'application/zip' : 'application/gzip')
          .header('content-length', range === undefined ? size : range.end - range.start + 1);
        if (range !== undefined) reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
        if (method === 'HEAD') return reply.send('');
        return reply.send(await storage.read(build.buildId, range));
      },
    });
  }

  app.get(
    '/v1/games/:gameId/cover',
    { schema: { tags: ['players'], params: Type.Object({ gameId: Id }), response: { 200: Type.Unknown({ description: 'PNG, JPEG or WebP' }), ...errorResponses } } },
    async (request, reply) => {
      const game = catalogue.get(request.params.gameId);
      const build = await studios.getBuild(game.buildId);
      const cover = build?.coverContentType === undefined ? null : await storage.readCover(game.buildId);
      if (build?.coverContentType === undefined || cover === null) throw new AppError('GAME_NOT_FOUND', `${game.id} has no cover image.`);
      return reply.header('content-type', build.coverContentType).header('cache-control', 'public, max-age=300').send(cover);
    },
  );

  app.get('/v1/schemas/game.json', { schema: { tags: ['studios'], summary: 'The JSON Schema of game.json' } }, async (_request, reply) =>
    reply.header('content-type', 'application/schema+json').send({ $schema: 'http://json-schema.org/draft-07/schema#', ...BuildManifest }),
  );
};
