/**
 * Anonymous players: a random player id and an HS256 JWT carrying it, presented as a Bearer token
 * on the session routes. Instances that share the secret accept each other's tokens.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { AppError } from '../../protocol/errors.js';
import type { GuestToken } from '../../protocol/http.js';
import { TICKET_ISSUER } from '../../protocol/ticket.js';

const PLAYER_AUDIENCE = 'edgeplay-player';
const GUEST_TOKEN_TTL_S = 24 * 60 * 60;
const GUEST_ALG = 'HS256';

export class GuestAuth {
  /** A WebCrypto key, imported once: jose 6 verifies through WebCrypto and would import raw bytes on every token. */
  readonly #secret: Promise<CryptoKey>;

  /** `secret` must be shared by every instance; without one, tokens live as long as this process. */
  constructor(secret?: string) {
    const bytes = secret === undefined ? randomBytes(32) : new TextEncoder().encode(secret);
    if (bytes.byteLength < 32) throw new RangeError('the guest token secret must be at least 32 bytes');
    this.#secret = webcrypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }

  async issue(): Promise<GuestToken> {
    const playerId = `p${randomBytes(10).toString('hex')}`;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: GUEST_ALG, typ: 'JWT' })
      .setIssuer(TICKET_ISSUER)
      .setAudience(PLAYER_AUDIENCE)
      .setSubject(playerId)
      .setIssuedAt()
      .setExpirationTime(`${GUEST_TOKEN_TTL_S}s`)
      .sign(await this.#secret);
    return { playerId, token };
  }

  /** The player id in a valid token; throws UNAUTHORIZED otherwise. */
  async authenticate(token: string | null): Promise<string> {
    if (token === null) throw new AppError('UNAUTHORIZED', 'A player token is required: get one from POST /v1/auth/guest.');
    let playerId: unknown;
    try {
      const { payload } = await jwtVerify(token, await this.#secret, {
        issuer: TICKET_ISSUER,
        audience: PLAYER_AUDIENCE,
        algorithms: [GUEST_ALG],
      });
      playerId = payload.sub;
    } catch {
      playerId = undefined;
    }
    if (typeof playerId !== 'string') {
      throw new AppError('UNAUTHORIZED', 'The player token is not valid or has expired: get a new one from POST /v1/auth/guest.');
    }
    return playerId;
  }
}
