/**
 * Node-signed messages (heartbeats, usage reports): Ed25519 over a canonical JSON form,
 * so the control plane and the edge node agree byte for byte on what was signed.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

export { canonicalJson };

/** A raw 32-byte Ed25519 public key (base64url) as a KeyObject. */
export function publicKeyFromRaw(rawBase64Url: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: rawBase64Url }, format: 'jwk' });
}

export function rawPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an Ed25519 key');
  return jwk.x;
}

export function privateKeyFromPem(pem: string): KeyObject {
  return createPrivateKey(pem);
}

export function signPayload(payload: unknown, privateKey: KeyObject): string {
  return sign(null, Buffer.from(canonicalJson(payload)), privateKey).toString('base64url');
}

export function verifyPayload(payload: unknown, signature: string, publicKey: KeyObject): boolean {
  try {
    return verify(null, Buffer.from(canonicalJson(payload)), publicKey, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
