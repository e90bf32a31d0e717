/**
 * Signs session tickets: short-lived EdDSA JWTs that exactly one edge node (the audience) accepts
 * once. Nodes verify them offline with the public JWK they receive when they register.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, SignJWT, type JWK } from 'jose';
import { TICKET_ALG, TICKET_ISSUER, type SessionTicketClaims } from '../../protocol/ticket.js';

export interface TicketRequest {
  sessionId: string;
  nodeId: string;
  playerId: string;
  gameId: string;
  buildId: string;
  /** Epoch milliseconds; the JWT carries whole seconds, rounded down so it never outlives this. */
  expiresAt: number;
}

export interface TicketPublicJwk extends JWK {
  kty: string;
  crv: string;
  x: string;
  /** The RFC 7638 thumbprint: lets a node pick the right key once keys rotate. */
  kid: string;
}

export class TicketKeyError extends Error {
  override name = 'TicketKeyError';
}

export class TicketIssuer {
  readonly publicJwk: TicketPublicJwk;
  /** A WebCrypto key, imported once: jose 6 signs through WebCrypto and would import a KeyObject on every call. */
  readonly #privateKey: CryptoKey;

  private constructor(privateKey: CryptoKey, publicJwk: TicketPublicJwk) {
    this.#privateKey = privateKey;
    this.publicJwk = publicJwk;
  }

  /**
   * Loads the signing key from a PEM (PKCS#8), given or in a file, so every control plane instance
   * signs with the same key; without one, generates a key that lives as long as this process.
   */
  static async create(options: { privateKeyPath?: string; privateKeyPem?: string } = {}): Promise<TicketIssuer> {
    const pem = options.privateKeyPem ?? (options.privateKeyPath === undefined ? undefined : await readFile(options.privateKeyPath, 'utf8'));
    const privateKey = pem === undefined ? generateKeyPairSync('ed25519').privateKey : createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      throw new TicketKeyError(`the ticket key must be Ed25519, not ${privateKey.asymmetricKeyType ?? 'a symmetric key'}`);
    }
    const { kty, crv, x } = createPublicKey(privateKey).export({ format: 'jwk' });
    if (kty === undefined || crv === undefined || x === undefined) throw new TicketKeyError('the ticket key has no public JWK form');
    const kid = await calculateJwkThumbprint({ kty, crv, x });
    const signingKey = await webcrypto.subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), { name: 'Ed25519' }, false, ['sign']);
    return new TicketIssuer(signingKey, { kty, crv, x, kid, alg: TICKET_ALG, use: 'sig' });
  }

  async issue(request: TicketRequest): Promise<string> {
    const claims: Pick<SessionTicketClaims, 'sid' | 'gameId' | 'buildId'> = {
      sid: request.sessionId,
      gameId: request.gameId,
      buildId: request.buildId,
    };
    return this.sign(
      new SignJWT(claims)
        .setIssuer(TICKET_ISSUER)
        .setAudience(request.nodeId)
        .setSubject(request.playerId)
        .setJti(request.sessionId)
        .setIssuedAt()
        .setExpirationTime(Math.floor(request.expiresAt / 1000)),
    );
  }

  /**
   * Signs any JWT with the ticket key. Probe tokens share it with tickets so that a node verifies
   * both with the one JWK it received at registration; their issuers tell them apart.
   */
  async sign(jwt: SignJWT): Promise<string> {
    return jwt.setProtectedHeader({ alg: TICKET_ALG, typ: 'JWT', kid: this.publicJwk.kid }).sign(this.#privateKey);
  }
}
