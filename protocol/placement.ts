/**
 * The matchmaker's API: the control plane offers candidate nodes near the player, the page
 * measures its round-trip time to each (the nodes' probe endpoints), reports them, and is
 * placed on the best node or queued.
 *
 *   POST   /v1/placements                      PlacementRequest  -> 201 PlacementOffer
 *   POST   /v1/placements/:placementId/choice  PlacementChoice   -> 200 PlacementResult
 *   GET    /v1/placements/:placementId                           -> 200 PlacementResult (a queued player polls this)
 *   DELETE /v1/placements/:placementId                           -> 204 (leave the queue / give the offer up)
 *   GET    <candidate.probeUrl>?token=<probeToken>               -> 204 from the node (RTT probe)
 */
import { Type, type Static } from '@sinclair/typebox';
import { GeoPoint, Id, SessionCreated } from './http.js';

/** Probe tokens are EdDSA JWTs from the control plane's ticket key, audience = the offered node ids. */
export const PROBE_TOKEN_ISSUER = 'edgeplay-control-plane/probe';
export const MAX_RTT_MS = 2000;

export const PlacementRequest = Type.Object(
  {
    gameId: Id,
    /** Where the player is, when the page knows better than the IP address does. */
    location: Type.Optional(GeoPoint),
    /** Nodes not to offer: the one a session just failed on, while it may still look live. */
    excludeNodes: Type.Optional(Type.Array(Id, { maxItems: 8 })),
  },
  { additionalProperties: false },
);
export type PlacementRequest = Static<typeof PlacementRequest>;

export const PlacementCandidate = Type.Object({
  nodeId: Id,
  probeUrl: Type.String(),
  distanceKm: Type.Number(),
  /** The distance-based estimate used when probes fail. */
  estimatedRttMs: Type.Number(),
});
export type PlacementCandidate = Static<typeof PlacementCandidate>;

export const PlacementOffer = Type.Object({
  placementId: Id,
  candidates: Type.Array(PlacementCandidate),
  probeToken: Type.String(),
  /** How many probes the page should send to each candidate (all in parallel). */
  probesPerCandidate: Type.Integer(),
  expiresAt: Type.Integer(),
});
export type PlacementOffer = Static<typeof PlacementOffer>;

export const RttMeasurement = Type.Object(
  {
    nodeId: Id,
    /** Median measured RTT in ms, or null when every probe to that node failed. */
    rttMs: Type.Union([Type.Number(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type RttMeasurement = Static<typeof RttMeasurement>;

export const PlacementChoice = Type.Object(
  { measurements: Type.Array(RttMeasurement, { maxItems: 32 }) },
  { additionalProperties: false },
);
export type PlacementChoice = Static<typeof PlacementChoice>;

export const PlacementResult = Type.Union([
  Type.Object({ state: Type.Literal('placed'), session: SessionCreated }),
  Type.Object({
    state: Type.Literal('queued'),
    /** 1-based place in the queue. */
    position: Type.Integer({ minimum: 1 }),
    estimatedWaitS: Type.Number(),
    /** The latency bound in force now; it relaxes in steps while the player waits. */
    latencyBoundMs: Type.Number(),
    retryAfterMs: Type.Integer(),
  }),
]);
export type PlacementResult = Static<typeof PlacementResult>;

/** What a probe token says: the node checks its own id is in `aud` before answering a probe. */
export interface ProbeTokenClaims {
  iss: typeof PROBE_TOKEN_ISSUER;
  /** The player id. */
  sub: string;
  /** The offered node ids. */
  aud: string[];
  /** The placement the probes are for. */
  pid: string;
  iat: number;
  exp: number;
}
