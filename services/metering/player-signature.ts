/** Checks a player's usage record against the per-session key bound when the ticket was issued. */
import { createPublicKey, verify } from 'node:crypto';
import { canonicalJson } from '../../protocol/canonical-json.js';
import type { PlayerUsageKey, PlayerUsagePayload } from '../../protocol/metering.js';

/** WebCrypto's ECDSA signs SHA-256 of the bytes, r || s (IEEE P1363), not DER. */
export function verifyPlayerUsage(payload: PlayerUsagePayload, signature: string, key: PlayerUsageKey): boolean {
  try {
    const publicKey = createPublicKey({ key: { kty: key.kty, crv: key.crv, x: key.x, y: key.y }, format: 'jwk' });
    return verify('sha256', Buffer.from(canonicalJson(payload)), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
