/**
 * Studio builds: the `game.json` manifest at an archive's root, and the contract by which edge
 * nodes download a build from the control plane (or from a nearby node holding it).
 *
 * Download contract (the archive's bytes, addressed by their SHA-256, the build id):
 *
 *   GET  /v1/builds/:buildId            -> 200 BuildInfo (size, format, manifest)
 *   HEAD /v1/builds/:buildId/archive    -> 200, headers only
 *   GET  /v1/builds/:buildId/archive    -> 200 the whole archive, or 206 with `Range: bytes=start-[end]`
 *                                          (one range per request; 416 past the end)
 *
 * Archive responses carry `Accept-Ranges: bytes`, `Content-Length`, `ETag: "<buildId>"` (the strong
 * validator is the SHA-256 itself, so `If-Range: "<buildId>"` always matches) and, for 206,
 * `Content-Range: bytes start-end/size`. The node verifies the SHA-256 of the whole archive
 * before unpacking anything: the hash in the URL is what it trusts, not the server.
 *
 * A node authenticates with the Ed25519 key it registered: the headers below carry its id, the
 * time, and its signature (protocol/signing.ts, canonical JSON) over BuildFetchAuthPayload. The
 * signature binds method and path, so it cannot be replayed for another build; sentAt bounds its
 * replay window as for heartbeats. Only live registered nodes may download builds.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id } from './http.js';

export const BUILD_MANIFEST_FILE = 'game.json';
export const BuildId = Type.String({ pattern: '^[a-f0-9]{64}$', description: 'SHA-256 of the build archive (hex)' });

/** Semantic version 2.0.0 (no leading zeros; pre-release and build metadata allowed). */
export const SemVer = Type.String({
  maxLength: 64,
  pattern:
    '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$',
});

/** A relative path inside the archive: no leading slash, no `.` or `..` segments, no backslashes. */
export const ArchivePath = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: '^(?!/)(?!.*(?:^|/)\\.{1,2}(?:/|$))[^\\\\\\u0000]+$',
});

/** How the node runs a build: the frame protocol (edge-node/game/README.md), an unmodified X11 game, or the built-in Node demo. */
export const BuildRuntime = Type.Union([Type.Literal('frames'), Type.Literal('x11'), Type.Literal('node')]);
export type BuildRuntime = Static<typeof BuildRuntime>;

export const GameInput = Type.Union([Type.Literal('keyboard'), Type.Literal('mouse'), Type.Literal('gamepad'), Type.Literal('touch')]);
export type GameInput = Static<typeof GameInput>;

export const BuildNeeds = Type.Object(
  {
    cpuCores: Type.Number({ minimum: 0.1, maximum: 64 }),
    memoryMb: Type.Integer({ minimum: 16, maximum: 262_144 }),
    gpuMemoryMb: Type.Integer({ minimum: 0, maximum: 1_048_576 }),
  },
  { additionalProperties: false },
);
export type BuildNeeds = Static<typeof BuildNeeds>;

export const BuildManifest = Type.Object(
  {
    /** The game id: the first studio to publish it owns it. */
    id: Id,
    version: SemVer,
    title: Type.String({ minLength: 1, maxLength: 80 }),
    description: Type.String({ maxLength: 2000 }),
    runtime: BuildRuntime,
    /** The executable the node starts, relative to the archive root. */
    entry: ArchivePath,
    width: Type.Integer({ minimum: 64, maximum: 3840 }),
    height: Type.Integer({ minimum: 64, maximum: 2160 }),
    fps: Type.Integer({ minimum: 1, maximum: 240 }),
    inputs: Type.Array(GameInput, { minItems: 1, maxItems: 4, uniqueItems: true }),
    needs: BuildNeeds,
    /** Whether the sandbox gives the game a network; none unless asked for. */
    network: Type.Optional(Type.Boolean()),
    /** A PNG, JPEG or WebP image in the archive, shown in the catalogue. */
    cover: Type.Optional(ArchivePath),
  },
  { additionalProperties: false, title: 'EdgePlay game manifest (game.json)' },
);
export type BuildManifest = Static<typeof BuildManifest>;

export const ArchiveFormat = Type.Union([Type.Literal('tar.gz'), Type.Literal('zip')]);
export type ArchiveFormat = Static<typeof ArchiveFormat>;

export const BuildInfo = Type.Object({
  buildId: BuildId,
  sizeBytes: Type.Integer({ minimum: 0 }),
  format: ArchiveFormat,
  manifest: BuildManifest,
  uploadedAt: Type.Integer(),
});
export type BuildInfo = Static<typeof BuildInfo>;

export const BUILD_ROUTES = {
  info: (buildId: string) => `/v1/builds/${buildId}`,
  archive: (buildId: string) => `/v1/builds/${buildId}/archive`,
} as const;

/** Headers a node sends to authenticate a build download. */
export const BUILD_FETCH_HEADERS = {
  nodeId: 'x-edgeplay-node-id',
  sentAt: 'x-edgeplay-sent-at',
  signature: 'x-edgeplay-signature',
} as const;

/** What the node signs for a download: the request it makes, bound to its id and the time. */
export const BuildFetchAuthPayload = Type.Object(
  {
    nodeId: Id,
    method: Type.Union([Type.Literal('GET'), Type.Literal('HEAD')]),
    path: Type.String({ maxLength: 256 }),
    sentAt: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type BuildFetchAuthPayload = Static<typeof BuildFetchAuthPayload>;

/** The ETag an archive response carries: the build id, quoted. */
export function buildEtag(buildId: string): string {
  return `"${buildId}"`;
}
