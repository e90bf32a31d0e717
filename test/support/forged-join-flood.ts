/**
 * An attacker on another host: SOCKETS connections to an edge node's signalling, from ADDRESS, each
 * sending joins with forged tickets (the real ticket's claims with a new session id, its signature
 * kept) one after another, and connecting again whenever the node hangs up. Run as its own process
 * (nice'd by the caller) so that its CPU is not the node's event loop. It prints "ready" once
 * loaded and takes commands on stdin, one a line: "go" floods, "pause" stops flooding, "end" prints
 * what the node answered as one line of JSON and exits.
 *
 *   tsx test/support/forged-join-flood.ts URL TICKET ADDRESS SOCKETS
 */
import { createInterface } from 'node:readline';
import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../../protocol/signalling.js';

const [url = '', ticket = '', address = '127.0.0.2', sockets = '50'] = process.argv.slice(2);
const RECONNECT_DELAY_MS = 500;

const [header, payload, signature] = ticket.split('.');
const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
let sent = 0;
const forged = (): string => `${header}.${Buffer.from(JSON.stringify({ ...claims, sid: `sforged${sent++}` })).toString('base64url')}.${signature}`;

const answers: Record<string, number> = {};
let refusedConnections = 0;
let flooding = false;
let ended = false;
let resume: (() => void)[] = [];

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

async function attacker(): Promise<void> {
  while (!ended) {
    if (!flooding) {
      await new Promise<void>((resolve) => resume.push(resolve));
      continue;
    }
    const socket = await connect();
    if (socket === null) {
      refusedConnections++;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
      continue;
    }
    const hungUp = new Promise<string>((resolve) => socket.once('disconnect', () => resolve('DISCONNECTED')));
    // One after another, as a join is answered: concurrent joins on one connection are refused unchecked anyway.
    while (flooding) {
      const result = await join(socket, hungUp);
      answers[result] = (answers[result] ?? 0) + 1;
      if (result === 'DISCONNECTED') break;
    }
    socket.close();
  }
}

function setFlooding(on: boolean): void {
  flooding = on;
  for (const wake of resume) wake();
  resume = [];
}

const attackers = Promise.all(Array.from({ length: Number(sockets) }, attacker));
createInterface({ input: process.stdin }).on('line', (command) => {
  if (command === 'go') setFlooding(true);
  if (command === 'pause') setFlooding(false);
  if (command === 'end') {
    ended = true;
    setFlooding(false);
    void attackers.then(() => {
      process.stdout.write(`${JSON.stringify({ sent, answers, refusedConnections })}\n`);
      process.exit(0);
    });
  }
});
process.stdout.write('ready\n');
