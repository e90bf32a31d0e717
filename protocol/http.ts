/**
 * Bodies of the control plane's HTTP API, as TypeBox schemas (validated by fastify)
 * and the static types derived from them (used by the edge node and the web client).
 */
import { Type, type Static } from '@sinclair/typebox';

export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

export const GeoPoint = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
  },
  { additionalProperties: false },
);
export type GeoPoint = Static<typeof GeoPoint>;

export const GameManifest = Type.Object(
  {
    runtime: Type.Union([Type.Literal('node'), Type.Literal('native'), Type.Literal('frames'), Type.Literal('x11')]),
    entry: Type.String({ minLength: 1, maxLength: 256 }),
    width: Type.Integer({ minimum: 64, maximum: 3840 }),
    height: Type.Integer({ minimum: 64, maximum: 2160 }),
    fps: Type.Integer({ minimum: 1, maximum: 240 }),
    inputs: Type.Array(Type.Union([Type.Literal('keyboard'), Type.Literal('mouse'), Type.Literal('gamepad'), Type.Literal('touch')]), {
      maxItems: 4,
    }),
    /** What a node must offer to run the build; placement only considers nodes that meet it. */
    requirements: Type.Optional(
      Type.Object(
        {
          minVramMb: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_048_576 })),
          encoders: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { maxItems: 8 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type GameManifest = Static<typeof GameManifest>;

export const Game = Type.Object({
  id: Id,
  title: Type.String(),
  description: Type.String(),
  /** SHA-256 of the build archive: builds are content-addressed. */
  buildId: Type.String({ pattern: '^[a-f0-9]{64}$' }),
  manifest: GameManifest,
  /** The published version players get (studio builds; the built-in demo has none). */
  version: Type.Optional(Type.String()),
  /** Where the catalogue serves the build's cover image. */
  coverUrl: Type.Optional(Type.String()),
});
export type Game = Static<typeof Game>;

export const GameList = Type.Object({ games: Type.Array(Game) });
export type GameList = Static<typeof GameList>;

export const GpuInfo = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 128 }),
    vramMb: Type.Integer({ minimum: 0, maximum: 1_048_576 }),
  },
  { additionalProperties: false },
);

export const NodeRegistration = Type.Object(
  {
    /** Ed25519 public key, raw 32 bytes, base64url. */
    publicKey: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
    name: Type.String({ minLength: 1, maxLength: 64 }),
    location: GeoPoint,
    gpu: GpuInfo,
    encoders: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: 16 }),
    slots: Type.Integer({ minimum: 1, maximum: 64 }),
    pricePerHour: Type.Number({ minimum: 0, maximum: 1000 }),
    /** Where players reach this node's socket.io signalling endpoint. */
    signallingUrl: Type.String({ format: 'uri', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://', maxLength: 256 }),
    /** Build ids already cached on the node. */
    builds: Type.Array(Type.String({ pattern: '^[a-f0-9]{64}$' }), { maxItems: 1024 }),
  },
  { additionalProperties: false },
);
export type NodeRegistration = Static<typeof NodeRegistration>;

export const NodeRegistered = Type.Object({
  nodeId: Id,
  heartbeatIntervalMs: Type.Integer(),
  nodeTtlMs: Type.Integer(),
  /** The control plane's ticket-signing key (Ed25519 public JWK); tickets are verified against it. */
  ticketPublicJwk: Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String() }, { additionalProperties: true }),
  ticketIssuer: Type.String(),
  /** This node's own HMAC-SHA256 key for its heartbeats (protocol/heartbeat-mac.ts), new at each registration. */
  heartbeatKey: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
  /** As in a heartbeat's ack: sessions the node listed that it must end. */
  endSessions: Type.Optional(Type.Array(Id)),
});
export type NodeRegistered = Static<typeof NodeRegistered>;

export const HeartbeatPayload = Type.Object(
  {
    nodeId: Id,
    /** Strictly increasing per node: a replayed heartbeat is refused. */
    seq: Type.Integer({ minimum: 0 }),
    sentAt: Type.Integer({ minimum: 0 }),
    activeSessions: Type.Array(Id, { maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type HeartbeatPayload = Static<typeof HeartbeatPayload>;

/** A message from a node, signed with its Ed25519 key over the canonical JSON of `payload`. */
export function Signed<T extends ReturnType<typeof Type.Object>>(payload: T) {
  return Type.Object(
    { payload, signature: Type.String({ pattern: '^[A-Za-z0-9_-]{86}$' }) },
    { additionalProperties: false },
  );
}
/**
 * A registration signed with the key it registers: only the holder of a node's key can register
 * that node (its id derives from the key), so an operator cannot take over another's node, even
 * one that has gone offline, and point its players elsewhere. sentAt bounds replays, as for heartbeats.
 */
export const RegistrationPayload = Type.Object(
  {
    ...NodeRegistration.properties,
    sentAt: Type.Integer({ minimum: 0 }),
    /** The sessions the node runs as it registers (again, after an outage): their slots stay busy. */
    activeSessions: Type.Optional(Type.Array(Id, { maxItems: 64 })),
  },
  { additionalProperties: false },
);
export type RegistrationPayload = Static<typeof RegistrationPayload>;
export const SignedRegistration = Signed(RegistrationPayload);
export type SignedRegistration = Static<typeof SignedRegistration>;

export const SignedHeartbeat = Signed(HeartbeatPayload);
export type SignedHeartbeat = Static<typeof SignedHeartbeat>;

/** A heartbeat authenticated with the node's heartbeat key instead of a signature (protocol/heartbeat-mac.ts). */
export const MacHeartbeat = Type.Object(
  { payload: HeartbeatPayload, mac: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) },
  { additionalProperties: false },
);
export type MacHeartbeat = Static<typeof MacHeartbeat>;
export const NodeHeartbeat = Type.Union([MacHeartbeat, SignedHeartbeat]);
export type NodeHeartbeat = Static<typeof NodeHeartbeat>;

export const HeartbeatAck = Type.Object({
  nodeId: Id,
  seq: Type.Integer(),
  /** Sessions the node listed that the control plane has ended (their player moved on): the node ends them (`superseded`). */
  endSessions: Type.Optional(Type.Array(Id)),
  /** Builds the control plane asks the node to fetch in the background (demand near it: protocol/build-peers.ts). */
  prefetch: Type.Optional(Type.Array(Type.String({ pattern: '^[a-f0-9]{64}$' }), { maxItems: 8 })),
});
export type HeartbeatAck = Static<typeof HeartbeatAck>;

export const SessionEndReason = Type.Union([
  Type.Literal('player_left'),
  Type.Literal('game_exited'),
  Type.Literal('game_crashed'),
  Type.Literal('idle_timeout'),
  Type.Literal('ticket_unused'),
  Type.Literal('node_shutdown'),
  Type.Literal('media_failed'),
  /** The sandbox stopped the game for breaking a limit (memory, processes, scratch disk). */
  Type.Literal('game_limit_exceeded'),
  /** The node stopped heartbeating, or restarted, without reporting the session's end. */
  Type.Literal('node_lost'),
  /** The node's heartbeats stopped listing the session, and no end report came. */
  Type.Literal('unreported'),
  /** Its player was placed elsewhere (failing over from this node); the control plane had the node end it. */
  Type.Literal('superseded'),
]);
export type SessionEndReason = Static<typeof SessionEndReason>;

/** What a session used, as the node reports it: the basis of the operator's earnings. */
export const SessionUsage = Type.Object(
  {
    startedAt: Type.Integer({ minimum: 0 }),
    endedAt: Type.Integer({ minimum: 0 }),
    framesSent: Type.Integer({ minimum: 0 }),
    bytesSent: Type.Integer({ minimum: 0 }),
    width: Type.Integer({ minimum: 0 }),
    height: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type SessionUsage = Static<typeof SessionUsage>;

export const SessionEndPayload = Type.Composite(
  [Type.Object({ nodeId: Id, sessionId: Id, reason: SessionEndReason }), SessionUsage],
  { additionalProperties: false },
);
export type SessionEndPayload = Static<typeof SessionEndPayload>;
export const SignedSessionEnd = Signed(SessionEndPayload);
export type SignedSessionEnd = Static<typeof SignedSessionEnd>;

/** The node accepted the session's ticket and the game is running: the reserved slot becomes busy. */
export const SessionStartPayload = Type.Object(
  {
    nodeId: Id,
    sessionId: Id,
    startedAt: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type SessionStartPayload = Static<typeof SessionStartPayload>;
export const SignedSessionStart = Signed(SessionStartPayload);
export type SignedSessionStart = Static<typeof SignedSessionStart>;

export const GuestToken = Type.Object({ playerId: Id, token: Type.String() });
export type GuestToken = Static<typeof GuestToken>;

export const CreateSessionRequest = Type.Object({ gameId: Id }, { additionalProperties: false });
export type CreateSessionRequest = Static<typeof CreateSessionRequest>;

export const SessionCreated = Type.Object({
  sessionId: Id,
  nodeId: Id,
  signallingUrl: Type.String(),
  ticket: Type.String(),
  expiresAt: Type.Integer(),
  game: Game,
});
export type SessionCreated = Static<typeof SessionCreated>;

export const SessionState = Type.Union([Type.Literal('reserved'), Type.Literal('active'), Type.Literal('ended')]);
export type SessionState = Static<typeof SessionState>;

export const SessionView = Type.Object({
  sessionId: Id,
  nodeId: Id,
  playerId: Id,
  gameId: Id,
  state: SessionState,
  createdAt: Type.Integer(),
  endedAt: Type.Optional(Type.Integer()),
  endReason: Type.Optional(SessionEndReason),
});
export type SessionView = Static<typeof SessionView>;

/**
 * A node as GET /v1/nodes lists it. Anyone sees what a player needs: the node, its GPU, whether it
 * has room, and roughly where it is (an H3 cell of resolution 3, about 12,000 km²). The node's
 * operator, presenting their token, also sees its exact location, endpoint and slot accounting.
 */
export const NodeView = Type.Object({
  nodeId: Id,
  name: Type.String(),
  cell: Type.String(),
  gpu: GpuInfo,
  slots: Type.Integer(),
  freeSlots: Type.Integer(),
  location: Type.Optional(GeoPoint),
  reservedSlots: Type.Optional(Type.Integer()),
  busySlots: Type.Optional(Type.Integer()),
  signallingUrl: Type.Optional(Type.String()),
  lastHeartbeatAt: Type.Optional(Type.Integer()),
});
export type NodeView = Static<typeof NodeView>;

export const NodeList = Type.Object({ nodes: Type.Array(NodeView) });
export type NodeList = Static<typeof NodeList>;

export const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
});
export type ErrorResponse = Static<typeof ErrorResponse>;
