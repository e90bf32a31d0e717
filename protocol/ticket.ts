/** The session ticket: an EdDSA-signed JWT the control plane issues and one edge node accepts once. */
export const TICKET_ISSUER = 'edgeplay-control-plane';
export const TICKET_ALG = 'EdDSA';

export interface SessionTicketClaims {
  iss: typeof TICKET_ISSUER;
  /** The session id; also the JWT id, so a ticket is single use. */
  sid: string;
  /** The player id. */
  sub: string;
  /** The edge node that must accept it. */
  aud: string;
  gameId: string;
  buildId: string;
  iat: number;
  exp: number;
  jti: string;
}
