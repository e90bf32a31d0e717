/**
 * Builds spreading between nodes (protocol/build-peers.ts): a node asks who near it holds a build
 * (signed like a download), and an admin asks the nodes nearest a place to prefetch one.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { BuildId } from '../../protocol/build-manifest.js';
import { BUILD_PEER_ROUTES, BuildPeers, PrefetchRequest, PrefetchStarted } from '../../protocol/build-peers.js';
import { AppError } from '../../protocol/errors.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import { bearerToken } from '../http/bearer.js';
import { errorResponses } from '../http/error-handling.js';
import type { AdminAuth } from '../operators/admin-auth.js';
import type { NodeRegistry } from '../registry/node-registry.js';
import type { Store } from '../store/store.js';
import type { StudioStore } from '../studios/studio-store.js';
import { authoriseBuildFetch } from './build-fetch-auth.js';
import type { BuildPeerFinder } from './build-peers.js';
import type { BuildPrefetch } from './build-prefetch.js';

export interface PeerRoutesOptions {
  store: Store;
  studios: StudioStore;
  registry: NodeRegistry;
  catalogue: Catalogue;
  peers: BuildPeerFinder;
  prefetch: BuildPrefetch;
  admin: Pick<AdminAuth, 'authenticate'>;
}

const BuildParams = Type.Object({ buildId: BuildId });

export const peerRoutes: FastifyPluginAsyncTypebox<PeerRoutesOptions> = async (app, { store, studios, registry, catalogue, peers, prefetch, admin }) => {
  app.get(
    BUILD_PEER_ROUTES.peers(':buildId'),
    {
      schema: {
        tags: ['nodes'],
        security: [{ nodeSignature: [] }],
        summary: 'Live nodes near the asking node that hold a build, and a peer fetch token for them',
        params: BuildParams,
        response: { 200: BuildPeers, ...errorResponses },
      },
    },
    async (request) => {
      const { nodeId } = await authoriseBuildFetch(request, request.params.buildId, { registry, studios });
      const requester = await store.getNode(nodeId);
      if (requester === null) throw new AppError('NODE_NOT_FOUND');
      return peers.peersFor(requester, request.params.buildId);
    },
  );

  app.post(
    BUILD_PEER_ROUTES.prefetch(':buildId'),
    {
      onRequest: async (request) => admin.authenticate(bearerToken(request)),
      schema: {
        summary: 'Asks the nodes nearest a place to prefetch a build (admin token)',
        params: BuildParams,
        body: PrefetchRequest,
        response: { 200: PrefetchStarted, ...errorResponses },
      },
    },
    async (request) => {
      const { buildId } = request.params;
      const game = catalogue.list().find((candidate) => candidate.buildId === buildId);
      if (game === undefined) throw new AppError('BUILD_NOT_FOUND', `No game in the catalogue runs build ${buildId}.`);
      return { buildId, nodeIds: await prefetch.prefetchNear(game, request.body.location, request.body.nodes) };
    },
  );
};
