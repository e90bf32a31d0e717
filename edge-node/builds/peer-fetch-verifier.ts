/**
 * Decides whether another node may download a build from this one. Two proofs are needed: a peer
 * fetch token the control plane signed (it vouches that the asker is a live registered node, names
 * its key, this node among the peers and the build), and the request's signed headers made with
 * that key (so the token alone, seen on the wire, opens nothing, and a signature binds one method
 * and path for a short while). Anything less is PEER_FETCH_UNAUTHORIZED.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { JWK } from 'jose';
import { readBuildFetchAuth } from '../../protocol/build-fetch-auth.js';
import { PEER_FETCH_TOKEN_ISSUER } from '../../protocol/build-peers.js';
import { AppError } from '../../protocol/errors.js';
import { publicKeyFromRaw, verifyPayload } from '../../protocol/signing.js';
import { importControlPlaneKey, verifyControlPlaneJwt, type ControlPlaneKey } from '../tickets/control-plane-jwt.js';

/** How far a request's signed time may be from our clock: bounds how long captured headers can be replayed. */
const MAX_CLOCK_SKEW_MS = 30_000;
/** A real token is well under this (four peers in `aud`); junk is refused before any parsing. */
const MAX_TOKEN_LENGTH = 4096;

export class PeerFetchVerifier {
  private constructor(
    private readonly key: ControlPlaneKey,
    private readonly nodeId: string,
    private readonly now: () => number,
  ) {}

  static async create(publicJwk: JWK, nodeId: string, now: () => number = Date.now): Promise<PeerFetchVerifier> {
    return new PeerFetchVerifier(await importControlPlaneKey(publicJwk), nodeId, now);
  }

  /** The id of the node the request comes from, once both proofs hold for downloading `buildId` at `path`. */
  async verify(headers: IncomingHttpHeaders, method: string, path: string, buildId: string): Promise<string> {
    const token = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
    if (token === undefined || token.length > MAX_TOKEN_LENGTH) throw unauthorized('A peer fetch token (Authorization: Bearer) is required.');
    const claims = await verifyControlPlaneJwt(token, this.key, {
      issuer: PEER_FETCH_TOKEN_ISSUER,
      requiredClaims: ['aud', 'exp', 'sub'],
      now: this.now(),
      codes: { expired: 'PEER_FETCH_UNAUTHORIZED', invalid: 'PEER_FETCH_UNAUTHORIZED' },
    });
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audience.includes(this.nodeId)) throw unauthorized('The peer fetch token does not name this node.');
    if (claims['bid'] !== buildId) throw unauthorized('The peer fetch token is for another build.');
    const signed = readBuildFetchAuth(headers, method, path);
    if (signed === null || signed.payload.nodeId !== claims.sub) throw unauthorized('The request is not signed by the node the token names.');
    if (Math.abs(signed.payload.sentAt - this.now()) > MAX_CLOCK_SKEW_MS) throw unauthorized('The request was signed too long ago (or the node clock is off).');
    const key = claims['key'];
    if (typeof key !== 'string' || !verifyPayload(signed.payload, signed.signature, namedKey(key))) {
      throw unauthorized('The request signature does not match the key the token names.');
    }
    return claims.sub;
  }
}

function unauthorized(message: string): AppError {
  return new AppError('PEER_FETCH_UNAUTHORIZED', message);
}

function namedKey(raw: string): ReturnType<typeof publicKeyFromRaw> {
  try {
    return publicKeyFromRaw(raw);
  } catch {
    throw unauthorized('The peer fetch token names no Ed25519 key.');
  }
}
