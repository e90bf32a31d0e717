/**
 * Accepts a session ticket only if the control plane signed it (EdDSA), it names this node as
 * audience, it has not expired, and it has not been used before on this node.
 */
import type { JWK } from 'jose';
import { AppError } from '../../protocol/errors.js';
import { TICKET_ISSUER, type SessionTicketClaims } from '../../protocol/ticket.js';
import { importControlPlaneKey, verifyControlPlaneJwt, type ControlPlaneKey } from './control-plane-jwt.js';

export class TicketVerifier {
  /** jti -> expiry (ms); kept until the ticket would have expired anyway. */
  private readonly used = new Map<string, number>();

  private constructor(
    private readonly key: ControlPlaneKey,
    private readonly nodeId: string,
    private readonly now: () => number,
  ) {}

  static async create(publicJwk: JWK, nodeId: string, now: () => number = Date.now): Promise<TicketVerifier> {
    return new TicketVerifier(await importControlPlaneKey(publicJwk), nodeId, now);
  }

  async verify(ticket: unknown): Promise<SessionTicketClaims> {
    if (typeof ticket !== 'string' || ticket.length === 0) throw new AppError('TICKET_MISSING');
    const claims = (await verifyControlPlaneJwt(ticket, this.key, {
      issuer: TICKET_ISSUER,
      requiredClaims: ['sid', 'sub', 'aud', 'exp', 'jti'],
      now: this.now(),
      codes: { expired: 'TICKET_EXPIRED', invalid: 'TICKET_INVALID' },
    })) as unknown as SessionTicketClaims;
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
