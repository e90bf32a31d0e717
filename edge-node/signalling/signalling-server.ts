/**
 * The node's own socket.io endpoint: a player joins with a ticket, then negotiates WebRTC for
 * their session. Every payload is checked against the shared schemas before it is used, and
 * every failure is answered with a catalogued error code. The same HTTP server answers the
 * matchmaker's RTT probes, so a probe times the very path the stream's signalling will take.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket as TcpSocket } from 'node:net';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import { AppError, type ErrorBody } from '../../protocol/errors.js';
import {
  signallingCheckers,
  type Ack,
  type ClientToNodeEvents,
  type JoinAccepted,
  type NodeToClientEvents,
  type SessionPreparing,
} from '../../protocol/signalling.js';
import type { SessionTicketClaims } from '../../protocol/ticket.js';
import { sendError, type ProbeEndpoint } from '../probe/probe-endpoint.js';
import type { StreamSession } from '../session/stream-session.js';
import { ConnectionGuard, type ConnectionGuardLimits } from './connection-guard.js';

/** What the signalling server needs from the node: admit a ticket and open a session for it. */
export interface SessionHost {
  admit(ticket: unknown): Promise<SessionTicketClaims>;
  /** The player left after their ticket was admitted and before a session opened: free its slot. */
  abandon(claims: SessionTicketClaims): void;
  /** `onPreparing` hears how fetching the game's build goes, when it is not on the node yet. */
  open(claims: SessionTicketClaims, onPreparing?: (progress: SessionPreparing) => void): Promise<{ session: StreamSession; accepted: Omit<JoinAccepted, 'routerRtpCapabilities'> }>;
}

type EventName = keyof ClientToNodeEvents;
type RequestOf<E extends EventName> = Parameters<ClientToNodeEvents[E]>[0];
type ResponseOf<E extends EventName> = Parameters<ClientToNodeEvents[E]>[1] extends (r: Ack<infer R>) => void ? R : never;
type PlayerSocket = Socket<ClientToNodeEvents, NodeToClientEvents>;
const PREPARING_INTERVAL_MS = 250;
type UntypedSocket = { on(event: string, listener: (request: unknown, ack: unknown) => void): void };

export class SignallingServer {
  private constructor(
    private readonly http: HttpServer,
    private readonly io: Server<ClientToNodeEvents, NodeToClientEvents>,
    readonly url: string,
  ) {}

  static async listen(options: {
    host: string;
    port: number;
    publicUrl?: string;
    sessions: SessionHost;
    probe: ProbeEndpoint;
    /** Another handler of plain HTTP requests (the node's /metrics); false passes the request on. */
    metrics?: { handle(request: IncomingMessage, response: ServerResponse): boolean };
    /** Serves cached builds to peer nodes (builds/peer-build-server.ts); false passes the request on. */
    peerBuilds?: { handle(request: IncomingMessage, response: ServerResponse): boolean };
    logger: Logger;
    /** Per-address bounds on connections and joins (connection-guard.ts). */
    limits?: Partial<ConnectionGuardLimits>;
  }): Promise<SignallingServer> {
    const guard = new ConnectionGuard(options.limits);
    // socket.io takes its own path first and hands every other request to this handler.
    const http = createServer((request, response) => {
      const handled = options.probe.handle(request, response) || options.metrics?.handle(request, response) || options.peerBuilds?.handle(request, response);
      if (handled !== true) sendError(response, new AppError('ROUTE_NOT_FOUND'));
    });
    http.on('connection', (socket: TcpSocket) => {
      if (!guard.admitSocket(socket.remoteAddress ?? '')) socket.destroy();
    });
    const io = new Server<ClientToNodeEvents, NodeToClientEvents>(http, {
      cors: { origin: true },
      maxHttpBufferSize: 64 * 1024,
      serveClient: false,
      // Before the WebSocket upgrade and before socket.io's own handshake: the cheapest place to say no.
      allowRequest: (request, callback) => {
        const refused = guard.refuseConnection(request.socket.remoteAddress ?? '');
        if (refused) options.logger.warn({ address: request.socket.remoteAddress, code: refused.code }, 'signalling connection refused');
        callback(refused ? JSON.stringify(refused.toBody()) : null, refused === null);
      },
    });
    io.engine.on('connection', (connection: { remoteAddress: string; once(event: 'close', listener: () => void): void }) => {
      connection.once('close', guard.opened(connection.remoteAddress));
    });
    io.on('connection', (socket) => attach(socket, options.sessions, guard, options.logger));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port, options.host, () => resolve());
    });
    const { port } = http.address() as AddressInfo;
    return new SignallingServer(http, io, options.publicUrl ?? `http://${options.host}:${port}`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    this.http.closeAllConnections();
  }
}

function attach(socket: PlayerSocket, host: SessionHost, guard: ConnectionGuard, parentLogger: Logger): void {
  const address = socket.handshake.address;
  const logger = parentLogger.child({ socketId: socket.id, address });
  let session: StreamSession | undefined;
  let joining = false;
  let joinAttempts = 0;

  const budget = guard.eventBudget();
  socket.use((_packet, next) => {
    if (budget.take()) return next();
    logger.warn('signalling requests too fast; disconnecting');
    socket.disconnect(true);
  });

  const current = (): StreamSession => {
    if (!session || session.ended) throw new AppError('SESSION_NOT_JOINED');
    return session;
  };

  const handle = <E extends EventName>(event: E, run: (request: RequestOf<E>) => Promise<ResponseOf<E>>): void => {
    // Payloads are untrusted: take them as unknown and check them before typing them.
    (socket as unknown as UntypedSocket).on(event, async (request: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const reply = ack as (response: Ack<ResponseOf<E>>) => void;
      try {
        if (!signallingCheckers[event].Check(request)) {
          const first = [...signallingCheckers[event].Errors(request)][0];
          throw new AppError('VALIDATION_FAILED', `Invalid ${event} request: ${first ? `${first.path} ${first.message}` : 'bad shape'}.`);
        }
        reply({ ok: true, data: await run(request as RequestOf<E>) });
      } catch (error) {
        reply({ ok: false, error: toErrorBody(error, logger, event) });
      }
    });
  };

  handle('session:join', async ({ ticket }) => {
    if (session || joining) throw new AppError('VALIDATION_FAILED', 'This connection has already joined a session.');
    let checked: (ticketRefused: boolean) => void;
    try {
      checked = guard.startJoin(address, joinAttempts++);
    } catch (error) {
      // Answer, then hang up: a connection that spends its joins has nothing more to ask.
      setImmediate(() => socket.disconnect(true));
      throw error;
    }
    joining = true;
    try {
      const claims = await admitCounted(host, checked, ticket);
      // A player who left while the ticket was checked, or while the game started, gets no session
      // (the ticket is spent): their slot must not stay busy until the idle timeout.
      if (socket.disconnected) {
        host.abandon(claims);
        throw new AppError('SESSION_ENDED', 'The player left before the join completed.');
      }
      const opened = await host.open(claims, throttledPreparing(socket));
      if (socket.disconnected) {
        opened.session.end('player_left');
        throw new AppError('SESSION_ENDED', 'The player left before the join completed.');
      }
      session = opened.session;
      session.once('ended', (reason) => {
        const notice = opened.session.endError ?? (reason === 'game_crashed' ? new AppError('GAME_CRASHED') : reason === 'idle_timeout' ? new AppError('SESSION_IDLE_TIMEOUT') : undefined);
        socket.emit('session:ended', { reason, code: notice?.code, message: notice?.message ?? `The session ended (${reason.replaceAll('_', ' ')}).` });
      });
      logger.info({ sessionId: claims.sid, playerId: claims.sub }, 'player joined');
      return { ...opened.accepted, routerRtpCapabilities: session.rtpCapabilities };
    } finally {
      joining = false;
    }
  });
  handle('transport:create', ({ direction }) => current().createTransport(direction));
  handle('transport:connect', async ({ transportId, dtlsParameters }) => {
    await current().connectTransport(transportId, dtlsParameters);
    return {};
  });
  handle('video:consume', ({ rtpCapabilities }) => current().consumeVideo(rtpCapabilities as types.RtpCapabilities));
  handle('audio:consume', ({ rtpCapabilities }) => current().consumeAudio(rtpCapabilities as types.RtpCapabilities));
  handle('video:resume', async () => {
    await current().resumeVideo();
    return {};
  });
  handle('video:pace', async ({ shiftMs }) => {
    current().pace(shiftMs);
    return {};
  });
  handle('input:produce', async ({ transportId, sctpStreamParameters, label }) => ({
    id: await current().produceInput(transportId, sctpStreamParameters as types.SctpStreamParameters, label),
  }));
  handle('session:leave', async () => {
    current().end('player_left');
    return {};
  });

  socket.on('disconnect', () => session?.end('player_left'));
}

/** Download progress comes per chunk; the page needs a few updates a second, and every change of stage. */
function throttledPreparing(socket: PlayerSocket): (progress: SessionPreparing) => void {
  let lastAt = 0;
  let lastStage: SessionPreparing['stage'] | undefined;
  return (progress) => {
    const now = Date.now();
    if (progress.stage === lastStage && now - lastAt < PREPARING_INTERVAL_MS) return;
    lastAt = now;
    lastStage = progress.stage;
    socket.emit('session:preparing', progress);
  };
}

/** Admits the ticket, and tells the guard whether it was refused. */
async function admitCounted(host: SessionHost, checked: (ticketRefused: boolean) => void, ticket: unknown): Promise<SessionTicketClaims> {
  try {
    const claims = await host.admit(ticket);
    checked(false);
    return claims;
  } catch (error) {
    checked(error instanceof AppError && error.code.startsWith('TICKET_'));
    throw error;
  }
}

function toErrorBody(error: unknown, logger: Logger, event: string): ErrorBody {
  if (error instanceof AppError) return error.toBody();
  logger.error({ err: error, event }, 'signalling request failed');
  return new AppError('INTERNAL').toBody();
}
