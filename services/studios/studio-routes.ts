/** The studio API (protocol/studio.ts): sign-up, keys, builds, versions and channels, the overview. */
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { BuildId, SemVer } from '../../protocol/build-manifest.js';
import { AppError } from '../../protocol/errors.js';
import { Id } from '../../protocol/http.js';
import {
  ApiKeyCreated,
  ApiKeyList,
  ApiKeyView,
  ChannelName,
  CreateApiKey,
  GameReleases,
  MoveChannel,
  PublishRequest,
  StudioBuild,
  StudioBuildList,
  StudioCreated,
  StudioOverview,
  StudioSignup,
} from '../../protocol/studio.js';
import type { Releases } from '../builds/releases.js';
import { bearerToken } from '../http/bearer.js';
import { errorResponses } from '../http/error-handling.js';
import { requireScope, type StudioAccounts, type StudioCaller } from './studio-accounts.js';
import type { StudioOverviews } from './studio-overview.js';

export interface StudioRoutesOptions {
  accounts: StudioAccounts;
  releases: Releases;
  overviews: StudioOverviews;
  /** When set, sign-up needs `Authorization: Bearer <this token>`; otherwise anyone may create a studio. */
  signupToken?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The studio an API key stands for, on the studio routes. */
    studio: StudioCaller;
  }
}

const GameParams = Type.Object({ gameId: Id });
const ChannelParams = Type.Object({ gameId: Id, channel: ChannelName });
const tags = ['studios'];

export const studioRoutes: FastifyPluginAsyncTypebox<StudioRoutesOptions> = async (app, { accounts, releases, overviews, signupToken }) => {
  app.post(
    '/v1/studios',
    {
      onRequest: async (request) => {
        if (signupToken !== undefined && bearerToken(request) !== signupToken) throw new AppError('SIGNUP_CLOSED');
      },
      schema: { tags, body: StudioSignup, response: { 201: StudioCreated, ...errorResponses } },
    },
    async (request, reply) => {
      reply.status(201);
      return accounts.signUp(request.body.name);
    },
  );

  await app.register(async (plain) => {
    const keyed = plain.withTypeProvider<TypeBoxTypeProvider>();
    keyed.decorateRequest('studio', null as unknown as StudioCaller);
    // Checked before the body is parsed: a caller without a key learns nothing from validation.
    keyed.addHook('onRequest', async (request) => {
      request.studio = await accounts.authenticate(bearerToken(request));
    });
    const security = [{ studioKey: [] }];

    keyed.get('/v1/studio', { schema: { tags, security, response: { 200: StudioOverview, ...errorResponses } } }, async (request) =>
      overviews.overview(request.studio.studioId),
    );

    keyed.get('/v1/studio/keys', { schema: { tags, security, response: { 200: ApiKeyList, ...errorResponses } } }, async (request) => {
      requireScope(request.studio, 'keys');
      return { keys: await accounts.listKeys(request.studio.studioId) };
    });

    keyed.post(
      '/v1/studio/keys',
      { schema: { tags, security, body: CreateApiKey, response: { 201: ApiKeyCreated, ...errorResponses } } },
      async (request, reply) => {
        requireScope(request.studio, 'keys');
        reply.status(201);
        return accounts.createKey(request.studio.studioId, request.body.label, request.body.scopes);
      },
    );

    keyed.delete(
      '/v1/studio/keys/:keyId',
      { schema: { tags, security, params: Type.Object({ keyId: Id }), response: { 200: ApiKeyView, ...errorResponses } } },
      async (request) => {
        requireScope(request.studio, 'keys');
        return accounts.revokeKey(request.studio.studioId, request.params.keyId);
      },
    );

    keyed.get('/v1/studio/builds', { schema: { tags, security, response: { 200: StudioBuildList, ...errorResponses } } }, async (request) => ({
      builds: await overviews.builds(request.studio.studioId),
    }));

    keyed.get(
      '/v1/studio/builds/:buildId',
      { schema: { tags, security, params: Type.Object({ buildId: BuildId }), response: { 200: StudioBuild, ...errorResponses } } },
      async (request) => overviews.build(request.studio.studioId, request.params.buildId),
    );

    keyed.get('/v1/studio/games/:gameId', { schema: { tags, security, params: GameParams, response: { 200: GameReleases, ...errorResponses } } }, async (request) =>
      releases.view(request.studio.studioId, request.params.gameId),
    );

    keyed.post(
      '/v1/studio/games/:gameId/versions/:version/publish',
      {
        schema: {
          tags,
          security,
          params: Type.Object({ gameId: Id, version: SemVer }),
          body: PublishRequest,
          response: { 200: GameReleases, ...errorResponses },
        },
      },
      async (request) => {
        requireScope(request.studio, 'publish');
        const { gameId, version } = request.params;
        return releases.publish(request.studio.studioId, gameId, version, request.body.channel);
      },
    );

    keyed.put(
      '/v1/studio/games/:gameId/channels/:channel',
      { schema: { tags, security, params: ChannelParams, body: MoveChannel, response: { 200: GameReleases, ...errorResponses } } },
      async (request) => {
        requireScope(request.studio, 'publish');
        const { gameId, channel } = request.params;
        return releases.moveChannel(request.studio.studioId, gameId, channel, request.body.version);
      },
    );

    keyed.post(
      '/v1/studio/games/:gameId/channels/:channel/rollback',
      { schema: { tags, security, params: ChannelParams, response: { 200: GameReleases, ...errorResponses } } },
      async (request) => {
        requireScope(request.studio, 'publish');
        const { gameId, channel } = request.params;
        return releases.rollback(request.studio.studioId, gameId, channel);
      },
    );
  });
};
