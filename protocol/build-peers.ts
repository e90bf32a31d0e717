/**
 * Builds spreading from node to node: discovery, peer fetch tokens and prefetch requests.
 *
 *   GET  /v1/builds/:buildId/peers     (control plane; node-signed like a build download)
 *        -> 200 BuildPeers: live nodes near the asking node that hold the build, nearest first,
 *           and a peer fetch token that lets the asking node download it from exactly those.
 *   GET  /v1/builds/:buildId/archive   (on a peer node, beside its signalling endpoint)
 *        -> the verified archive from the peer's cache, whole or by range, as the origin serves it.
 *           Needs `Authorization: Bearer <peer fetch token>` AND the download's signed headers
 *           (protocol/build-fetch-auth.ts) made with the key the token names: a token copied off
 *           the wire is useless without the node's private key.
 *   POST /v1/builds/:buildId/prefetch  (control plane, admin token) -> PrefetchStarted
 *
 * The fetching node trusts neither: it checks the SHA-256 of what a peer sends (the build id), and
 * falls back to the next peer or the origin when it does not match.
 */
import { Type, type Static } from '@sinclair/typebox';
import { BuildId } from './build-manifest.js';
import { GeoPoint, Id } from './http.js';

export const PEER_FETCH_TOKEN_ISSUER = 'edgeplay-control-plane/peer-fetch';
/** The most peers one discovery answer names (and one token's audience holds). */
export const MAX_BUILD_PEERS = 4;

export const BUILD_PEER_ROUTES = {
  peers: (buildId: string) => `/v1/builds/${buildId}/peers`,
  prefetch: (buildId: string) => `/v1/builds/${buildId}/prefetch`,
} as const;

export const BuildPeer = Type.Object({
  nodeId: Id,
  /** The peer's base URL (its signalling endpoint), where BUILD_ROUTES.archive is served. */
  url: Type.String({ maxLength: 256 }),
});
export type BuildPeer = Static<typeof BuildPeer>;

export const BuildPeers = Type.Object({
  buildId: BuildId,
  peers: Type.Array(BuildPeer, { maxItems: MAX_BUILD_PEERS }),
  /** Absent when no peer is named: the origin is the only source. */
  token: Type.Optional(Type.String({ maxLength: 4096 })),
});
export type BuildPeers = Static<typeof BuildPeers>;

/** What a peer fetch token says: `sub` (key `key`) may download build `bid` from the nodes in `aud` until `exp`. */
export interface PeerFetchTokenClaims {
  iss: typeof PEER_FETCH_TOKEN_ISSUER;
  aud: string[];
  sub: string;
  bid: string;
  /** The fetching node's Ed25519 public key (raw, base64url): its signed headers must verify with it. */
  key: string;
  /** Epoch seconds. */
  exp: number;
  iat: number;
}

export const PrefetchRequest = Type.Object(
  {
    /** Where the demand is: the nodes nearest it are asked to hold the build. */
    location: GeoPoint,
    /** How many of the nearest nodes that can run the game should hold it. */
    nodes: Type.Integer({ minimum: 1, maximum: 16 }),
  },
  { additionalProperties: false },
);
export type PrefetchRequest = Static<typeof PrefetchRequest>;

export const PrefetchStarted = Type.Object({
  buildId: BuildId,
  /** Nodes told to fetch it with their next heartbeat (the nearest already holding it are not). */
  nodeIds: Type.Array(Id),
});
export type PrefetchStarted = Static<typeof PrefetchStarted>;
