/**
 * Probe tokens let a player's page measure RTT to the nodes it was offered, and only those: each
 * node answers a probe only for a token naming it in `aud`, signed by the control plane, unexpired,
 * and rate-limits per token (the node's side). Short-lived, since probing takes a second or two.
 */
import { PROBE_TOKEN_ISSUER, type ProbeTokenClaims } from '../../protocol/placement.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';

export interface ProbeTokenRequest {
  placementId: string;
  playerId: string;
  nodeIds: string[];
  /** Epoch milliseconds, rounded down to the JWT's whole seconds. */
  expiresAt: number;
}

export function issueProbeToken(issuer: TicketIssuer, request: ProbeTokenRequest): string {
  const claims: Omit<ProbeTokenClaims, 'iat'> = {
    iss: PROBE_TOKEN_ISSUER,
    aud: request.nodeIds,
    sub: request.playerId,
    pid: request.placementId,
    exp: Math.floor(request.expiresAt / 1000),
  };
  return issuer.sign(claims);
}
