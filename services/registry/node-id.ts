import { createHash } from 'node:crypto';

/**
 * A node's id is derived from its Ed25519 public key, so an id always names the same key: no
 * registration can point an existing id at another key.
 */
export function nodeIdForPublicKey(rawPublicKeyBase64Url: string): string {
  const digest = createHash('sha256').update(Buffer.from(rawPublicKeyBase64Url, 'base64url')).digest('hex');
  return `n${digest.slice(0, 20)}`;
}
