/**
 * The control plane's end of the heartbeat channel (protocol/heartbeat-channel.ts): WebSocket
 * upgrades on its path, each message checked like an HTTP heartbeat (schema, MAC, clock,
 * sequence) and answered with an ack or a coded error. A bad message does not close the socket:
 * the next one may be fine.
 */
import type { Server } from 'node:http';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { AppError } from '../../protocol/errors.js';
import { HEARTBEAT_CHANNEL_MAX_MESSAGE_BYTES, HEARTBEAT_CHANNEL_PATH, type HeartbeatChannelReply } from '../../protocol/heartbeat-channel.js';
import { MacHeartbeat } from '../../protocol/http.js';
import type { Logger } from '../logging/logger.js';
import type { NodeRegistry } from './node-registry.js';

const isMacHeartbeat = TypeCompiler.Compile(MacHeartbeat);

export interface HeartbeatChannel {
  /** Closes every open channel; the HTTP server closes separately. */
  close(): void;
}

export function attachHeartbeatChannel(server: Server, registry: NodeRegistry, log: Logger): HeartbeatChannel {
  const channelLog = log.child({ component: 'heartbeat-channel' });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: HEARTBEAT_CHANNEL_MAX_MESSAGE_BYTES, clientTracking: true });
  server.on('upgrade', (request, socket, head) => {
    // Other paths are for whoever else listens for upgrades on this server.
    if ((request.url ?? '').split('?')[0] !== HEARTBEAT_CHANNEL_PATH) return;
    sockets.handleUpgrade(request, socket, head, (ws) => serve(ws, registry, channelLog));
  });
  return {
    close: () => {
      for (const ws of sockets.clients) ws.terminate();
      sockets.close();
    },
  };
}

function serve(ws: WebSocket, registry: NodeRegistry, log: Logger): void {
  ws.on('error', (error) => log.debug({ err: error }, 'heartbeat channel error'));
  ws.on('message', (data: RawData, isBinary: boolean) => {
    void answer(data, isBinary, registry).then(
      (reply) => ws.send(JSON.stringify(reply)),
      (error: unknown) => log.error({ err: error }, 'heartbeat channel failed to answer'),
    );
  });
}

async function answer(data: RawData, isBinary: boolean, registry: NodeRegistry): Promise<HeartbeatChannelReply> {
  let message: unknown;
  try {
    message = isBinary ? undefined : JSON.parse(data.toString());
  } catch {
    message = undefined;
  }
  if (!isMacHeartbeat.Check(message)) {
    const first = isMacHeartbeat.Errors(message).First();
    return refusal(new AppError('VALIDATION_FAILED', `A heartbeat message must be a MAC'd heartbeat: ${first ? `${first.path} ${first.message}` : 'not JSON'}.`));
  }
  const { nodeId, seq } = message.payload;
  try {
    return { ok: true, ack: await registry.heartbeat(nodeId, message) };
  } catch (error) {
    return refusal(error instanceof AppError ? error : new AppError('INTERNAL'), nodeId, seq);
  }
}

function refusal(error: AppError, nodeId?: string, seq?: number): HeartbeatChannelReply {
  return { ok: false, ...(nodeId === undefined ? {} : { nodeId, seq }), error: { code: error.code, status: error.status, message: error.message } };
}
