/**
 * Verification: a checker service plays synthetic sessions on nodes, at times they cannot predict,
 * through the normal page with a normal ticket, and reports what it measured, signed with its own
 * Ed25519 key. The control plane judges the measurements against what the node declared.
 *
 *   POST /v1/checks/sessions   SignedCheckSessionRequest -> 201 CheckSessionGranted
 *   POST /v1/checks/results    SignedCheckResult         -> 201 CheckVerdict
 *   GET  /v1/nodes/:nodeId/verification                   -> 200 NodeVerification
 */
import { Type, type Static } from '@sinclair/typebox';
import { GeoPoint, GuestToken, Id, SessionCreated } from './http.js';
import { PlayerUsageKey } from './metering.js';

const Signature = Type.String({ pattern: '^[A-Za-z0-9_-]{86}$' });
const Ms = Type.Union([Type.Number({ minimum: 0, maximum: 60_000 }), Type.Null()]);

export const CheckSessionRequestPayload = Type.Object(
  { checkerId: Id, nodeId: Id, usageKey: PlayerUsageKey, sentAt: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export type CheckSessionRequestPayload = Static<typeof CheckSessionRequestPayload>;
export const SignedCheckSessionRequest = Type.Object({ payload: CheckSessionRequestPayload, signature: Signature }, { additionalProperties: false });
export type SignedCheckSessionRequest = Static<typeof SignedCheckSessionRequest>;

/** A session like any player's, and the guest identity its page plays and reports usage as. */
export const CheckSessionGranted = Type.Object({ session: SessionCreated, guest: GuestToken });
export type CheckSessionGranted = Static<typeof CheckSessionGranted>;

/** One synthetic player's session, as its page measured it. */
export const CheckSessionMeasurement = Type.Object(
  {
    /** Null when no slot could be reserved (the node was busy with players): not held against it. */
    sessionId: Type.Union([Id, Type.Null()]),
    joined: Type.Boolean(),
    fps: Type.Number({ minimum: 0, maximum: 1000 }),
    latencyP50Ms: Ms,
    latencyP95Ms: Ms,
    rttMs: Ms,
    decodeMs: Ms,
    width: Type.Integer({ minimum: 0 }),
    height: Type.Integer({ minimum: 0 }),
    /**
     * Median encode time from the stream's own timing (protocol/stream-sei.ts): the node's
     * per-frame encode stamp against the moment the frame was whole at the page, less half the
     * round trip. Null when the stream carried no stamps.
     */
    encodeMs: Type.Optional(Ms),
    /** The encoder the stream named in its SEI (`x264 - core ...`), null when it named none. */
    encoder: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type CheckSessionMeasurement = Static<typeof CheckSessionMeasurement>;

export const CheckResultPayload = Type.Object(
  {
    checkId: Id,
    checkerId: Id,
    nodeId: Id,
    startedAt: Type.Integer({ minimum: 0 }),
    finishedAt: Type.Integer({ minimum: 0 }),
    /** One entry per concurrent synthetic player: as many as the node declared slots, up to the checker's cap. */
    sessions: Type.Array(CheckSessionMeasurement, { minItems: 1, maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type CheckResultPayload = Static<typeof CheckResultPayload>;
export const SignedCheckResult = Type.Object({ payload: CheckResultPayload, signature: Signature }, { additionalProperties: false });
export type SignedCheckResult = Static<typeof SignedCheckResult>;

/** Encoders a node can declare that are hardware: a stream from one never names x264. */
export const HARDWARE_ENCODERS = ['nvenc', 'vaapi'] as const;

export const CheckFailure = Type.Union([
  Type.Literal('join_failed'),
  Type.Literal('slots_short'),
  Type.Literal('fps_low'),
  Type.Literal('latency_high'),
  Type.Literal('resolution_wrong'),
  Type.Literal('location_impossible'),
  /** The node declared a hardware encoder (or a GPU's) and the stream names a software one. */
  Type.Literal('encoder_mismatch'),
  /** Encoding one frame for every slot the node declared takes longer than a frame period. */
  Type.Literal('encode_slow'),
]);
export type CheckFailure = Static<typeof CheckFailure>;

export const CheckVerdict = Type.Object({
  checkId: Id,
  nodeId: Id,
  at: Type.Integer(),
  passed: Type.Boolean(),
  failures: Type.Array(CheckFailure),
  fps: Type.Number(),
  latencyP50Ms: Type.Union([Type.Number(), Type.Null()]),
  rttMs: Type.Union([Type.Number(), Type.Null()]),
  /** Median encode time from the stream's own timing (CheckSessionMeasurement.encodeMs); absent in verdicts from before it was measured. */
  encodeMs: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  /** The encoder the stream named, null when none did. */
  encoder: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** How far from the checker the node can be, from the round trip (speed of light in fibre). */
  maxDistanceKm: Type.Union([Type.Number(), Type.Null()]),
});
export type CheckVerdict = Static<typeof CheckVerdict>;

export const NodeVerification = Type.Object({
  nodeId: Id,
  reputation: Type.Number(),
  /** Out of placement after repeated failed checks, until a check passes again. */
  suspended: Type.Boolean(),
  checksPassed: Type.Integer(),
  checksFailed: Type.Integer(),
  consecutiveFailures: Type.Integer(),
  /** Stable codes: players_latency_worse, players_fps_worse (players see much worse than checks). */
  flags: Type.Array(Type.String()),
  playerLatencyP50Ms: Type.Union([Type.Number(), Type.Null()]),
  checkLatencyP50Ms: Type.Union([Type.Number(), Type.Null()]),
  recentChecks: Type.Array(CheckVerdict),
});
export type NodeVerification = Static<typeof NodeVerification>;

/** Where a checker stands (configured on the control plane, not taken from the checker's word). */
export const CheckerIdentity = Type.Object({ checkerId: Id, publicKey: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }), location: GeoPoint });
export type CheckerIdentity = Static<typeof CheckerIdentity>;
