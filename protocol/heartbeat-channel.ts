/**
 * The heartbeat channel: a WebSocket a node keeps open to the control plane and sends its MAC'd
 * heartbeats on, one text frame each, so the steady state costs no HTTP request per heartbeat.
 * Every message stands alone (it is MAC'd with its node's key), so the socket itself needs no
 * authentication and one socket may carry any node's heartbeats.
 */
import { Type, type Static } from '@sinclair/typebox';
import { HeartbeatAck, Id } from './http.js';

export const HEARTBEAT_CHANNEL_PATH = '/v1/nodes/heartbeats';
/**
 * A heartbeat is a few hundred bytes, or up to about 70 KB when it lists the node's cached builds
 * (1024 ids at most); anything much larger is not one.
 */
export const HEARTBEAT_CHANNEL_MAX_MESSAGE_BYTES = 96 * 1024;

/** The answer to each heartbeat, in order: its ack, or the coded error an HTTP heartbeat would get. */
export const HeartbeatChannelReply = Type.Union([
  Type.Object({ ok: Type.Literal(true), ack: HeartbeatAck }),
  Type.Object({
    ok: Type.Literal(false),
    /** What the refused message named, where it could be read. */
    nodeId: Type.Optional(Id),
    seq: Type.Optional(Type.Integer()),
    error: Type.Object({ code: Type.String(), status: Type.Integer(), message: Type.String() }),
  }),
]);
export type HeartbeatChannelReply = Static<typeof HeartbeatChannelReply>;
