/**
 * `GET /probe?token=…`: what a player's page times to learn its round trip to this node before
 * the matchmaker chooses one. It must answer fast and the same way every time, so it does no work
 * beyond a per-address rate limit and the (cached) token check, and it sends no body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AppError } from '../../protocol/errors.js';
import { ClientRateLimiter, type RateLimit } from './client-rate-limiter.js';
import type { ProbeTokenVerifier } from './probe-token-verifier.js';

const PROBE_PATH = '/probe';

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  // Lets the page read exact timings from the Resource Timing API as well.
  'timing-allow-origin': '*',
  'cache-control': 'no-store',
};

export interface ProbeEndpointOptions {
  logger: Logger;
  rateLimit?: Partial<RateLimit>;
}

export class ProbeEndpoint {
  private verifier: ProbeTokenVerifier | undefined;
  private readonly limiter: ClientRateLimiter;
  private readonly logger: Logger;

  constructor(options: ProbeEndpointOptions) {
    this.logger = options.logger.child({ component: 'probe' });
    this.limiter = new ClientRateLimiter({ ratePerSecond: 20, burst: 20, maxClients: 10_000, ...options.rateLimit });
  }

  /** Tokens name the node and are signed with the control plane's key, both learnt at registration. */
  useVerifier(verifier: ProbeTokenVerifier): void {
    this.verifier = verifier;
  }

  /** Answers the request when it is for the probe path; false leaves it to the caller. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    // Split by hand rather than with URL, which throws on some targets a stranger can send.
    const target = request.url ?? '';
    const queryAt = target.indexOf('?');
    if ((queryAt < 0 ? target : target.slice(0, queryAt)) !== PROBE_PATH) return false;
    const query = new URLSearchParams(queryAt < 0 ? '' : target.slice(queryAt + 1));
    this.serve(request, query, response).catch((error: unknown) => {
      this.logger.error({ err: error }, 'probe failed');
      if (!response.headersSent) sendError(response, new AppError('INTERNAL'));
    });
    return true;
  }

  private async serve(request: IncomingMessage, query: URLSearchParams, response: ServerResponse): Promise<void> {
    // The socket's own address, never X-Forwarded-For: players reach nodes directly, and a header
    // the client writes would let it pick a fresh bucket for every probe.
    if (!this.limiter.take(request.socket.remoteAddress ?? '')) {
      response.setHeader('retry-after', '1');
      sendError(response, new AppError('PROBE_RATE_LIMITED'));
      return;
    }
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        ...CORS_HEADERS,
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        'access-control-max-age': '600',
        // Chrome asks before a public page may reach a node on a private address (an operator's LAN).
        ...(request.headers['access-control-request-private-network'] === 'true' ? { 'access-control-allow-private-network': 'true' } : {}),
      });
      response.end();
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendError(response, new AppError('ROUTE_NOT_FOUND', `${request.method ?? 'This method'} is not served at ${PROBE_PATH}.`));
      return;
    }
    if (!this.verifier) {
      sendError(response, new AppError('NODE_SHUTTING_DOWN', 'The edge node is not registered yet.'));
      return;
    }
    try {
      await this.verifier.verify(query.get('token'));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      sendError(response, error);
      return;
    }
    response.writeHead(204, CORS_HEADERS);
    response.end();
  }
}

/** A catalogued error as the control plane sends it, readable from any origin. */
export function sendError(response: ServerResponse, error: AppError): void {
  const body = JSON.stringify({ error: { code: error.code, message: error.message } });
  response.writeHead(error.status, { ...CORS_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
