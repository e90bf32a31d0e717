/**
 * socket.io events between the player's page and an edge node's signalling endpoint.
 * Every request carries an acknowledgement callback that receives an `Ack`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { types as ms } from 'mediasoup-client';
import type { ErrorBody } from './errors.js';
import { MAX_PACE_SHIFT_MS } from './game-protocol.js';
import type { SessionEndReason } from './http.js';

export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
type Request<Req, Res> = (request: Req, ack: (response: Ack<Res>) => void) => void;

export interface JoinAccepted {
  sessionId: string;
  routerRtpCapabilities: ms.RtpCapabilities;
  video: { width: number; height: number; fps: number };
  /** Seconds without input after which the node ends the session. */
  idleTimeoutS: number;
}

export interface TransportOptions {
  id: string;
  iceParameters: ms.IceParameters;
  iceCandidates: ms.IceCandidate[];
  dtlsParameters: ms.DtlsParameters;
  sctpParameters?: ms.SctpParameters;
}

export interface ConsumerOptions {
  id: string;
  producerId: string;
  kind: ms.MediaKind;
  rtpParameters: ms.RtpParameters;
}

export interface ClientToNodeEvents {
  'session:join': Request<{ ticket: string }, JoinAccepted>;
  'transport:create': Request<{ direction: 'send' | 'recv' }, TransportOptions>;
  'transport:connect': Request<{ transportId: string; dtlsParameters: ms.DtlsParameters }, Record<string, never>>;
  'video:consume': Request<{ rtpCapabilities: ms.RtpCapabilities }, ConsumerOptions>;
  /** The game's sound; it flows as soon as it is consumed. */
  'audio:consume': Request<{ rtpCapabilities: ms.RtpCapabilities }, ConsumerOptions>;
  'video:resume': Request<Record<string, never>, Record<string, never>>;
  /** Where frames land against the player's display: the game's frame clock moves by shiftMs (frame-pacer.ts). */
  'video:pace': Request<{ shiftMs: number }, Record<string, never>>;
  'input:produce': Request<{ transportId: string; sctpStreamParameters: ms.SctpStreamParameters; label: string }, { id: string }>;
  'session:leave': Request<Record<string, never>, Record<string, never>>;
}

export interface SessionEndedNotice {
  reason: SessionEndReason;
  code?: string;
  message: string;
}

/** Before the join is answered: the node is fetching, unpacking or starting the game's build. */
export interface SessionPreparing {
  stage: 'downloading' | 'unpacking' | 'starting';
  receivedBytes?: number;
  /** Null until the node knows the build's size. */
  totalBytes?: number | null;
}

export interface NodeToClientEvents {
  'session:ended': (notice: SessionEndedNotice) => void;
  'session:preparing': (progress: SessionPreparing) => void;
}

/** Shapes checked on the node before anything reaches mediasoup. */
export const JoinRequest = Type.Object({ ticket: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false });
export const TransportCreateRequest = Type.Object(
  { direction: Type.Union([Type.Literal('send'), Type.Literal('recv')]) },
  { additionalProperties: false },
);
export const TransportConnectRequest = Type.Object(
  {
    transportId: Type.String({ minLength: 1, maxLength: 64 }),
    dtlsParameters: Type.Object(
      {
        role: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('client'), Type.Literal('server')])),
        fingerprints: Type.Array(
          Type.Object({ algorithm: Type.String({ maxLength: 16 }), value: Type.String({ maxLength: 256 }) }),
          { minItems: 1, maxItems: 8 },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export const ConsumeRequest = Type.Object(
  { rtpCapabilities: Type.Object({ codecs: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 128 })), headerExtensions: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 64 })) }) },
  { additionalProperties: false },
);
export const EmptyRequest = Type.Object({}, { additionalProperties: false });
export const PaceRequest = Type.Object(
  { shiftMs: Type.Number({ minimum: -MAX_PACE_SHIFT_MS, maximum: MAX_PACE_SHIFT_MS }) },
  { additionalProperties: false },
);
export const InputProduceRequest = Type.Object(
  {
    transportId: Type.String({ minLength: 1, maxLength: 64 }),
    sctpStreamParameters: Type.Object({
      streamId: Type.Integer({ minimum: 0, maximum: 65535 }),
      ordered: Type.Optional(Type.Boolean()),
      maxPacketLifeTime: Type.Optional(Type.Integer({ minimum: 0 })),
      maxRetransmits: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
    label: Type.String({ maxLength: 32 }),
  },
  { additionalProperties: false },
);

export const signallingCheckers = {
  'session:join': TypeCompiler.Compile(JoinRequest),
  'transport:create': TypeCompiler.Compile(TransportCreateRequest),
  'transport:connect': TypeCompiler.Compile(TransportConnectRequest),
  'video:consume': TypeCompiler.Compile(ConsumeRequest),
  'audio:consume': TypeCompiler.Compile(ConsumeRequest),
  'video:resume': TypeCompiler.Compile(EmptyRequest),
  'video:pace': TypeCompiler.Compile(PaceRequest),
  'input:produce': TypeCompiler.Compile(InputProduceRequest),
  'session:leave': TypeCompiler.Compile(EmptyRequest),
} as const;

export type JoinRequest = Static<typeof JoinRequest>;
