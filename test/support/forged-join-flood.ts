/**
 * An attacker on another host: SOCKETS connections to an edge node's signalling, from ADDRESS, each
 * sending joins with forged tickets (the real ticket's claims with a new session id, its signature
 * kept) and connecting again whenever the node hangs up, for DURATION_MS. Run as its own process
 * (nice'd by the caller) so that its CPU is not the node's event loop. It prints "ready" once loaded,
 * starts when a line arrives on stdin, and prints what the node answered as one line of JSON.
 *
 *   tsx test/support/forged-join-flood.ts URL TICKET ADDRESS SOCKETS DURATION_MS
 */
import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../../protocol/signalling.js';

const [url = '', ticket = '', address = '127.0.0.2', sockets = '50', durationMs = '5000'] = process.argv.slice(2);
const JOINS_PER_CONNECTION = 20;
const RECONNECT_DELAY_MS = 100;

const [header, payload, signature] = ticket.split('.');
const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
let sent = 0;
const forged = (): string => `${header}.${Buffer.from(JSON.stringify({ ...claims, sid: `sforged${sent++}` })).toString('base64url')}.${signature}`;

const answers: Record<string, number> = {};
let refusedConnections = 0;

function connect(): Promise<Socket | null> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, localAddress: address } as Parameters<typeof io>[1]);
  return new Promise((resolve) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', () => {
      socket.close();
      resolve(null);
    });
  });
}

/** The answer's code (JOINED for none), or DISCONNECTED when the node hung up first. */
function join(socket: Socket, hungUp: Promise<string>): Promise<string> {
  const answered = new Promise<string>((resolve) => {
    socket.timeout(5_000).emit('session:join', { ticket: forged() }, (error: Error | null, ack: Ack<unknown>) => {
      resolve(error ? 'NO_ANSWER' : ack.ok ? 'JOINED' : ack.error.code);
    });
  });
  return Promise.race([answered, hungUp]);
}

async function attacker(until: number): Promise<void> {
  while (Date.now() < until) {
    const socket = await connect();
    if (socket === null) {
      refusedConnections++;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
      continue;
    }
    const hungUp = new Promise<string>((resolve) => socket.once('disconnect', () => resolve('DISCONNECTED')));
    const results = await Promise.all(Array.from({ length: JOINS_PER_CONNECTION }, () => join(socket, hungUp)));
    for (const result of results) answers[result] = (answers[result] ?? 0) + 1;
    socket.close();
  }
}

process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.destroy();
const until = Date.now() + Number(durationMs);
await Promise.all(Array.from({ length: Number(sockets) }, () => attacker(until)));
process.stdout.write(`${JSON.stringify({ sent, answers, refusedConnections })}\n`);
