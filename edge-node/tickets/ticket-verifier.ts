/**
 * Accepts a session ticket only if the control plane signed it (EdDSA), it names this node as
 * audience, it has not expired, and it has not been used before on this node.
 */
import { errors as joseErrors, importJWK, jwtVerify, type JWK, type KeyObject } from 'jose';
import { AppError } from '../../protocol/errors.js';
import { TICKET_ALG, TICKET_ISSUER, type SessionTicketClaims } from '../../protocol/ticket.js';

export class TicketVerifier {
  /** jti -> expiry (ms); kept until the ticket would have expired anyway. */
  private readonly used = new Map<string, number>();

  private constructor(
    private readonly key: KeyObject | Uint8Array,
    private readonly nodeId: string,
    private readonly now: () => number,
  ) {}

  static async create(publicJwk: JWK, nodeId: string, now: () => number = Date.now): Promise<TicketVerifier> {
    return new TicketVerifier(await importJWK(publicJwk, TICKET_ALG), nodeId, now);
  }

  async verify(ticket: unknown): Promise<SessionTicketClaims> {
    if (typeof ticket !== 'string' || ticket.length === 0) throw new AppError('TICKET_MISSING');
    let claims: SessionTicketClaims;
    try {
      const { payload } = await jwtVerify(ticket, this.key, {
        algorithms: [TICKET_ALG],
        issuer: TICKET_ISSUER,
        currentDate: new Date(this.now()),
        requiredClaims: ['sid', 'sub', 'aud', 'exp', 'jti'],
      });
      claims = payload as unknown as SessionTicketClaims;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new AppError('TICKET_EXPIRED');
      throw new AppError('TICKET_INVALID');
    }
    if (claims.aud !== this.nodeId) throw new AppError('TICKET_WRONG_NODE');
    this.forgetExpired();
    if (this.used.has(claims.jti)) throw new AppError('TICKET_REUSED');
    this.used.set(claims.jti, claims.exp * 1000);
    return claims;
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [jti, expiresAt] of this.used) if (expiresAt < now) this.used.delete(jti);
  }
}
