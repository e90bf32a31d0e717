/**
 * Bounds what one address can make the signalling endpoint do before anything costly happens:
 * how many connections it holds and opens, how many joins each connection tries, how many of its
 * joins may fail a ticket check, and how fast a connection sends requests. Every check is a
 * counter lookup; a ticket's signature is checked only for an address that still has failures to
 * spend, so forged tickets cannot buy the node's CPU away from its players' streams.
 */
import { LRUCache } from 'lru-cache';
import { AppError } from '../../protocol/errors.js';
import { TokenBucket } from '../input/token-bucket.js';
import { ClientRateLimiter, clientKey } from '../probe/client-rate-limiter.js';

export interface ConnectionGuardLimits {
  /** Connections one address may hold open at once. */
  connectionsPerAddress: number;
  /** New TCP connections one address may open (signalling and probes alike): sustained rate and burst. */
  connectsPerSecond: number;
  connectBurst: number;
  /** Join attempts one connection may make (a page joins once; a retry after a slow answer is the most). */
  joinsPerConnection: number;
  /** Joins refused for their ticket that one address may have in a window; past it, joins are refused unchecked. */
  failedJoinsPerWindow: number;
  failedJoinWindowMs: number;
  /** Requests one connection may send: sustained rate and burst. A page sends a handful, then one a second. */
  eventsPerSecond: number;
  eventBurst: number;
  /** Addresses remembered at once: a flood from many addresses evicts the least recent, keeping memory bounded. */
  maxAddresses: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionGuardLimits = {
  connectionsPerAddress: 8,
  connectsPerSecond: 2,
  connectBurst: 20,
  joinsPerConnection: 2,
  failedJoinsPerWindow: 10,
  failedJoinWindowMs: 60_000,
  eventsPerSecond: 20,
  eventBurst: 40,
  maxAddresses: 10_000,
};

export class ConnectionGuard {
  private readonly limits: ConnectionGuardLimits;
  readonly #open = new Map<string, number>();
  readonly #connects: ClientRateLimiter;
  readonly #failedJoins: LRUCache<string, number>;
  /** Ticket checks under way, by address. */
  readonly #checking = new Map<string, number>();

  constructor(limits: Partial<ConnectionGuardLimits> = {}) {
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
    const { connectsPerSecond, connectBurst, maxAddresses, failedJoinWindowMs } = this.limits;
    this.#connects = new ClientRateLimiter({ ratePerSecond: connectsPerSecond, burst: connectBurst, maxClients: maxAddresses });
    this.#failedJoins = new LRUCache({ max: maxAddresses, ttl: failedJoinWindowMs });
  }

  /**
   * Whether a new TCP connection from `address` may stay: an address that opens them faster than
   * its budget is hung up on before a byte of HTTP is parsed, the cheapest refusal there is.
   */
  admitSocket(address: string): boolean {
    return this.#connects.take(clientKey(address));
  }

  /** Why a new signalling connection from `address` is refused, or null when it may connect. */
  refuseConnection(address: string): AppError | null {
    if ((this.#open.get(clientKey(address)) ?? 0) >= this.limits.connectionsPerAddress) {
      return new AppError('TOO_MANY_CONNECTIONS', `At most ${this.limits.connectionsPerAddress} connections from one address at once.`);
    }
    return null;
  }

  /** Counts an open connection; call the returned function once it closes. */
  opened(address: string): () => void {
    const key = clientKey(address);
    this.#open.set(key, (this.#open.get(key) ?? 0) + 1);
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left <= 0) this.#open.delete(key);
      else this.#open.set(key, left);
    };
  }

  /**
   * Starts a join's ticket check, or throws JOIN_RATE_LIMITED when it may not even have its ticket
   * checked. Checks under way count as failures until they end, so joins racing on many connections
   * cannot overrun the address's budget. Call the returned function when the check ends.
   */
  startJoin(address: string, attemptsOnConnection: number): (ticketRefused: boolean) => void {
    if (attemptsOnConnection >= this.limits.joinsPerConnection) {
      throw new AppError('JOIN_RATE_LIMITED', `A connection may try to join at most ${this.limits.joinsPerConnection} times; connect again.`);
    }
    const key = clientKey(address);
    const checking = this.#checking.get(key) ?? 0;
    if ((this.#failedJoins.get(key) ?? 0) + checking >= this.limits.failedJoinsPerWindow) throw new AppError('JOIN_RATE_LIMITED');
    this.#checking.set(key, checking + 1);
    let ended = false;
    return (ticketRefused) => {
      if (ended) return;
      ended = true;
      const left = (this.#checking.get(key) ?? 1) - 1;
      if (left <= 0) this.#checking.delete(key);
      else this.#checking.set(key, left);
      if (ticketRefused) this.#failedJoins.set(key, (this.#failedJoins.get(key) ?? 0) + 1, { noUpdateTTL: true });
    };
  }

  /** A fresh request budget for one connection. */
  eventBudget(): TokenBucket {
    return new TokenBucket(this.limits.eventsPerSecond, this.limits.eventBurst);
  }
}
