/** Ed25519 keys for tests that sign tokens as the control plane would, and as a forger would. */
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export interface SigningKeys {
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** A key the verifier does not know. */
  otherKey: CryptoKey;
}

export async function signingKeys(): Promise<SigningKeys> {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  return { privateKey: pair.privateKey as CryptoKey, publicJwk: await exportJWK(pair.publicKey), otherKey: other.privateKey as CryptoKey };
}
