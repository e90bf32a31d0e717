/**
 * Accepts a probe token only if the control plane signed it with its ticket key (EdDSA), it was
 * issued for probes, it names this node among its audience, and it has not expired. A page sends
 * the same token several times to each candidate, so a token whose signature checked out is
 * remembered until it expires: a probe burst costs one signature check, not one per probe.
 */
import type { JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import { AppError } from '../../protocol/errors.js';
import { PROBE_TOKEN_ISSUER } from '../../protocol/placement.js';
import { importControlPlaneKey, verifyControlPlaneJwt, type ControlPlaneKey } from '../tickets/control-plane-jwt.js';

/** A token that passed the signature check: what later probes with it still need to know. */
interface VerifiedToken {
  expiresAt: number;
  forThisNode: boolean;
}

export interface ProbeTokenVerifierOptions {
  now?: () => number;
  /** Distinct live tokens remembered; about one per placement that offers this node. */
  cacheSize?: number;
}

/** Far above a real token (32 node ids in `aud`), low enough that junk is refused before any parsing. */
const MAX_TOKEN_LENGTH = 8192;

export class ProbeTokenVerifier {
  private readonly verified: LRUCache<string, VerifiedToken>;

  private constructor(
    private readonly key: ControlPlaneKey,
    private readonly nodeId: string,
    private readonly now: () => number,
    cacheSize: number,
  ) {
    this.verified = new LRUCache({ max: cacheSize });
  }

  static async create(publicJwk: JWK, nodeId: string, options: ProbeTokenVerifierOptions = {}): Promise<ProbeTokenVerifier> {
    return new ProbeTokenVerifier(await importControlPlaneKey(publicJwk), nodeId, options.now ?? Date.now, options.cacheSize ?? 4096);
  }

  async verify(token: string | null): Promise<void> {
    if (!token) throw new AppError('PROBE_TOKEN_INVALID', 'A probe token is required.');
    if (token.length > MAX_TOKEN_LENGTH) throw new AppError('PROBE_TOKEN_INVALID');
    let known = this.verified.get(token);
    if (!known) {
      known = await this.checkSignature(token);
      this.verified.set(token, known);
    } else if (known.expiresAt <= this.now()) {
      this.verified.delete(token);
      throw new AppError('PROBE_TOKEN_EXPIRED');
    }
    if (!known.forThisNode) throw new AppError('PROBE_WRONG_NODE');
  }

  private async checkSignature(token: string): Promise<VerifiedToken> {
    const payload = await verifyControlPlaneJwt(token, this.key, {
      issuer: PROBE_TOKEN_ISSUER,
      requiredClaims: ['aud', 'exp'],
      now: this.now(),
      codes: { expired: 'PROBE_TOKEN_EXPIRED', invalid: 'PROBE_TOKEN_INVALID' },
    });
    const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    return { expiresAt: payload.exp! * 1000, forThisNode: audience.includes(this.nodeId) };
  }
}
