/**
 * Metering both sides sign. The node's usage record is its signed session end report
 * (protocol/http.ts SessionEndPayload); the player's is signed in the page with a per-session ECDSA
 * P-256 key whose public half the control plane bound to the session when it issued the ticket.
 *
 *   POST /v1/sessions/:sessionId/usage            SignedPlayerUsage (player token) -> 200 UsageAccepted
 *   GET  /v1/operators/me/earnings?from=&to=     (operator token)               -> 200 EarningsStatement
 *   GET  /v1/admin/flagged-usage?state=&from=&to= (admin token)                 -> 200 FlaggedRecordList
 *   POST /v1/admin/flagged-usage/:sessionId/resolution FlagResolution (admin)   -> 200 FlagResolved
 */
import { Type, type Static } from '@sinclair/typebox';
import { Id } from './http.js';

const Base64Url = (length: number) => Type.String({ pattern: `^[A-Za-z0-9_-]{${length}}$` });

/** The public half of the page's per-session key, as WebCrypto exports it (JWK, ECDSA P-256). */
export const PlayerUsageKey = Type.Object(
  { kty: Type.Literal('EC'), crv: Type.Literal('P-256'), x: Base64Url(43), y: Base64Url(43) },
  // WebCrypto adds key_ops and ext to exported JWKs; they say nothing the control plane needs.
  { additionalProperties: true },
);
export type PlayerUsageKey = Static<typeof PlayerUsageKey>;

const Ms = Type.Union([Type.Number({ minimum: 0, maximum: 60_000 }), Type.Null()]);

/** What the player's page measured over the whole session. */
export const PlayerUsagePayload = Type.Object(
  {
    sessionId: Id,
    nodeId: Id,
    secondsWatched: Type.Number({ minimum: 0, maximum: 7 * 24 * 3600 }),
    framesReceived: Type.Integer({ minimum: 0 }),
    framesDecoded: Type.Integer({ minimum: 0 }),
    width: Type.Integer({ minimum: 0, maximum: 7680 }),
    height: Type.Integer({ minimum: 0, maximum: 4320 }),
    /** Frames decoded per second watched. */
    fps: Type.Number({ minimum: 0, maximum: 1000 }),
    /** Input-to-frame latency the page measured (latency strip), null without samples. */
    latencyP50Ms: Ms,
    latencyP95Ms: Ms,
    rttMs: Ms,
    sentAt: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type PlayerUsagePayload = Static<typeof PlayerUsagePayload>;

/** ECDSA P-256 signatures as WebCrypto makes them: r || s, 64 bytes, base64url. */
export const SignedPlayerUsage = Type.Object({ payload: PlayerUsagePayload, signature: Base64Url(86) }, { additionalProperties: false });
export type SignedPlayerUsage = Static<typeof SignedPlayerUsage>;

export const UsageAccepted = Type.Object({ sessionId: Id, outcome: Type.Union([Type.Literal('appended'), Type.Literal('duplicate')]) });
export type UsageAccepted = Static<typeof UsageAccepted>;

/**
 * credited: both records agree and the agreed seconds are paid; flagged: they disagree too much
 * and nothing is paid until someone resolves it; resolved: it was flagged and the admin's
 * resolution says what is paid; unconfirmed: the player's record is missing, and it is the
 * ceiling, so nothing is paid yet.
 */
export const SettlementStatus = Type.Union([Type.Literal('credited'), Type.Literal('flagged'), Type.Literal('resolved'), Type.Literal('unconfirmed')]);
export type SettlementStatus = Static<typeof SettlementStatus>;

const ResolutionReason = Type.String({ minLength: 1, maxLength: 500 });

/**
 * How the admin settles a flagged session, once: pay the seconds both records agree on (the
 * player's record the ceiling) as an unflagged session would be paid, pay nothing, or pay a stated
 * amount no more than the player's record is worth at the bound price and delivered quality.
 */
export const FlagResolution = Type.Union([
  Type.Object({ decision: Type.Literal('pay_agreed'), reason: ResolutionReason }, { additionalProperties: false }),
  Type.Object({ decision: Type.Literal('pay_nothing'), reason: ResolutionReason }, { additionalProperties: false }),
  Type.Object({ decision: Type.Literal('pay_amount'), amount: Type.Number({ minimum: 0 }), reason: ResolutionReason }, { additionalProperties: false }),
]);
export type FlagResolution = Static<typeof FlagResolution>;

/** A resolution as the ledger keeps it: the admin's decision and when it was taken. */
export const ResolutionView = Type.Object({
  decision: Type.Union([Type.Literal('pay_agreed'), Type.Literal('pay_nothing'), Type.Literal('pay_amount')]),
  reason: Type.String(),
  /** What the resolution pays. */
  amount: Type.Number(),
  resolvedAt: Type.Integer(),
});
export type ResolutionView = Static<typeof ResolutionView>;

export const SessionSettlement = Type.Object({
  sessionId: Id,
  nodeId: Id,
  endedAt: Type.Integer(),
  status: SettlementStatus,
  /** Why a session is flagged or unconfirmed, as stable codes (e.g. seconds_disagree). */
  reasons: Type.Array(Type.String()),
  nodeSeconds: Type.Number(),
  playerSeconds: Type.Union([Type.Number(), Type.Null()]),
  creditedSeconds: Type.Number(),
  /** 0..1: delivered frame rate and resolution against what the game asked for. */
  quality: Type.Number(),
  pricePerHour: Type.Number(),
  amount: Type.Number(),
  playerLatencyP50Ms: Type.Union([Type.Number(), Type.Null()]),
  playerFps: Type.Union([Type.Number(), Type.Null()]),
  /** Present once a flagged session is resolved (status resolved). */
  resolution: Type.Optional(ResolutionView),
});
export type SessionSettlement = Static<typeof SessionSettlement>;

export const EarningsStatement = Type.Object({
  operatorId: Type.String(),
  from: Type.Integer(),
  to: Type.Integer(),
  sessions: Type.Integer(),
  creditedSeconds: Type.Number(),
  amount: Type.Number(),
  /** Flagged and not yet resolved: paid nothing so far. */
  flagged: Type.Integer(),
  resolved: Type.Integer(),
  unconfirmed: Type.Integer(),
  settlements: Type.Array(SessionSettlement),
});
export type EarningsStatement = Static<typeof EarningsStatement>;

/** Epoch milliseconds as query strings (the API does not coerce types). */
const EpochMs = Type.String({ pattern: '^[0-9]{1,15}$' });
export const PeriodQuery = Type.Object(
  { from: Type.Optional(EpochMs), to: Type.Optional(EpochMs) },
  { additionalProperties: false },
);
export type PeriodQuery = Static<typeof PeriodQuery>;

export const FlaggedState = Type.Union([Type.Literal('open'), Type.Literal('resolved')]);
export type FlaggedState = Static<typeof FlaggedState>;

/** A flagged session as the admin sees it: both records' figures and what a resolution may pay. */
export const FlaggedRecord = Type.Object({
  sessionId: Id,
  nodeId: Id,
  operatorId: Type.String(),
  endedAt: Type.Integer(),
  state: FlaggedState,
  reasons: Type.Array(Type.String()),
  nodeSeconds: Type.Number(),
  playerSeconds: Type.Number(),
  framesSent: Type.Integer(),
  framesReceived: Type.Integer(),
  pricePerHour: Type.Number(),
  quality: Type.Number(),
  /** What pay_agreed pays: the seconds both agree on at the bound price and quality. */
  agreedAmount: Type.Number(),
  /** The most pay_amount may pay: the player's record at the bound price and quality. */
  ceilingAmount: Type.Number(),
  resolution: Type.Union([ResolutionView, Type.Null()]),
});
export type FlaggedRecord = Static<typeof FlaggedRecord>;

export const FlaggedRecordList = Type.Object({ records: Type.Array(FlaggedRecord) });
export type FlaggedRecordList = Static<typeof FlaggedRecordList>;

export const FlaggedQuery = Type.Object(
  { state: Type.Optional(Type.Union([FlaggedState, Type.Literal('all')])), from: Type.Optional(EpochMs), to: Type.Optional(EpochMs) },
  { additionalProperties: false },
);
export type FlaggedQuery = Static<typeof FlaggedQuery>;

/** appended: this resolution was taken now; duplicate: the same one was already there (counts once). */
export const FlagResolved = Type.Object({ outcome: Type.Union([Type.Literal('appended'), Type.Literal('duplicate')]), record: FlaggedRecord });
export type FlagResolved = Static<typeof FlagResolved>;
