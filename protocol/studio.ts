/**
 * The studio API: accounts and API keys, builds (uploaded with tus at UPLOAD_PATH), versions and
 * channels, and the studio's overview. Every route but sign-up takes `Authorization: Bearer <API key>`.
 *
 *   POST   /v1/studios                              StudioSignup      -> 201 StudioCreated (the first key, shown once)
 *   GET    /v1/studio                                                 -> 200 StudioOverview
 *   POST   /v1/studio/keys                          CreateApiKey      -> 201 ApiKeyCreated   (scope: keys)
 *   GET    /v1/studio/keys                                            -> 200 ApiKeyList      (scope: keys)
 *   DELETE /v1/studio/keys/:keyId                                     -> 200 ApiKeyView      (scope: keys)
 *   POST   UPLOAD_PATH (tus 1.0.0, creation)       Upload-Metadata: filename, sha256   (scope: upload)
 *   GET    /v1/studio/builds                                          -> 200 StudioBuildList
 *   GET    /v1/studio/builds/:buildId                                 -> 200 StudioBuild (UPLOAD result, dedupe check)
 *   POST   /v1/studio/games/:gameId/versions/:version/publish  PublishRequest -> 200 GameReleases (scope: publish)
 *   GET    /v1/studio/games/:gameId                                   -> 200 GameReleases
 *   PUT    /v1/studio/games/:gameId/channels/:channel  MoveChannel    -> 200 GameReleases    (scope: publish)
 *   POST   /v1/studio/games/:gameId/channels/:channel/rollback        -> 200 GameReleases    (scope: publish)
 *   GET    /v1/games/:gameId/cover                                    -> 200 image (players; no key)
 *   GET    /v1/schemas/game.json                                      -> 200 the manifest's JSON Schema
 */
import { Type, type Static } from '@sinclair/typebox';
import { ArchiveFormat, BuildId, BuildManifest, SemVer } from './build-manifest.js';
import { Id } from './http.js';

export const UPLOAD_PATH = '/v1/uploads';
/** The response header of a finished upload that names the build it became. */
export const BUILD_ID_HEADER = 'x-edgeplay-build-id';

export const ApiKeyScope = Type.Union([Type.Literal('upload'), Type.Literal('publish'), Type.Literal('keys')]);
export type ApiKeyScope = Static<typeof ApiKeyScope>;
export const ALL_SCOPES: readonly ApiKeyScope[] = ['upload', 'publish', 'keys'];

export const ChannelName = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z][a-z0-9-]*$' });
export const DEFAULT_CHANNEL = 'stable';

export const StudioSignup = Type.Object(
  { name: Type.String({ minLength: 2, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]*$' }) },
  { additionalProperties: false },
);
export type StudioSignup = Static<typeof StudioSignup>;

export const StudioView = Type.Object({ studioId: Id, name: Type.String(), createdAt: Type.Integer() });
export type StudioView = Static<typeof StudioView>;

export const ApiKeyView = Type.Object({
  keyId: Id,
  label: Type.String(),
  scopes: Type.Array(ApiKeyScope),
  createdAt: Type.Integer(),
  revokedAt: Type.Optional(Type.Integer()),
});
export type ApiKeyView = Static<typeof ApiKeyView>;

export const ApiKeyList = Type.Object({ keys: Type.Array(ApiKeyView) });
export type ApiKeyList = Static<typeof ApiKeyList>;

export const CreateApiKey = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 64 }),
    scopes: Type.Array(ApiKeyScope, { minItems: 1, maxItems: 3, uniqueItems: true }),
  },
  { additionalProperties: false },
);
export type CreateApiKey = Static<typeof CreateApiKey>;

/** The key itself is shown once, here; the control plane keeps only its SHA-256. */
export const ApiKeyCreated = Type.Object({ key: Type.String(), apiKey: ApiKeyView });
export type ApiKeyCreated = Static<typeof ApiKeyCreated>;

export const StudioCreated = Type.Object({ studio: StudioView, key: Type.String(), apiKey: ApiKeyView });
export type StudioCreated = Static<typeof StudioCreated>;

export const StudioBuild = Type.Object({
  buildId: BuildId,
  gameId: Id,
  version: SemVer,
  sizeBytes: Type.Integer(),
  format: ArchiveFormat,
  manifest: BuildManifest,
  uploadedAt: Type.Integer(),
  /** Live nodes whose registration or heartbeats say they hold this build. */
  nodes: Type.Array(Type.Object({ nodeId: Id, name: Type.String() })),
});
export type StudioBuild = Static<typeof StudioBuild>;

export const StudioBuildList = Type.Object({ builds: Type.Array(StudioBuild) });
export type StudioBuildList = Static<typeof StudioBuildList>;

export const VersionView = Type.Object({
  version: SemVer,
  buildId: BuildId,
  uploadedAt: Type.Integer(),
  publishedAt: Type.Optional(Type.Integer()),
});
export type VersionView = Static<typeof VersionView>;

export const ChannelView = Type.Object({
  channel: ChannelName,
  version: SemVer,
  /** Versions the channel pointed at before, most recent first: what rollback returns to. */
  previous: Type.Array(SemVer),
});
export type ChannelView = Static<typeof ChannelView>;

export const GameReleases = Type.Object({
  gameId: Id,
  versions: Type.Array(VersionView),
  channels: Type.Array(ChannelView),
});
export type GameReleases = Static<typeof GameReleases>;

export const PublishRequest = Type.Object(
  { channel: Type.Optional(ChannelName) },
  { additionalProperties: false },
);
export type PublishRequest = Static<typeof PublishRequest>;

export const MoveChannel = Type.Object({ version: SemVer }, { additionalProperties: false });
export type MoveChannel = Static<typeof MoveChannel>;

export const StudioSessionView = Type.Object({
  sessionId: Id,
  gameId: Id,
  nodeId: Id,
  state: Type.String(),
  createdAt: Type.Integer(),
  endedAt: Type.Optional(Type.Integer()),
  /**
   * Input-to-frame latency from the player's signed usage record (metering), once the page sent
   * one with samples: only the session's own player, with the key bound at placement, can sign it.
   */
  latency: Type.Optional(Type.Object({ p50Ms: Type.Number(), p95Ms: Type.Union([Type.Number(), Type.Null()]) })),
});
export type StudioSessionView = Static<typeof StudioSessionView>;

export const StudioOverview = Type.Object({
  studio: StudioView,
  games: Type.Array(GameReleases),
  builds: Type.Array(StudioBuild),
  sessions: Type.Array(StudioSessionView),
});
export type StudioOverview = Static<typeof StudioOverview>;
