/** A bare signalling client (socket.io) for tests that speak to an edge node without a browser. */
import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientToNodeEvents, NodeToClientEvents, SessionEndedNotice } from '../../protocol/signalling.js';

export interface TestSignallingClient {
  socket: Socket<NodeToClientEvents, ClientToNodeEvents>;
  request(event: string, payload: unknown): Promise<Ack<unknown>>;
  ended: Promise<SessionEndedNotice>;
  close(): void;
}

export async function connectSignalling(url: string): Promise<TestSignallingClient> {
  const socket: Socket<NodeToClientEvents, ClientToNodeEvents> = io(url, { transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ended = new Promise<SessionEndedNotice>((resolve) => socket.once('session:ended', resolve));
  const untyped = socket as unknown as { timeout(ms: number): { emit(event: string, payload: unknown, ack: (err: Error | null, r: Ack<unknown>) => void): void } };
  return {
    socket,
    ended,
    request: (event, payload) =>
      new Promise((resolve, reject) => untyped.timeout(10_000).emit(event, payload, (err, response) => (err ? reject(err) : resolve(response)))),
    close: () => socket.disconnect(),
  };
}
