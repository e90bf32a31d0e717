/** The node's Ed25519 identity: generated on first start, then loaded, so its node id is stable. */
import { generateKeyPairSync, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { privateKeyFromPem, rawPublicKey } from '../protocol/signing.js';

export interface NodeIdentity {
  privateKey: KeyObject;
  /** Raw public key, base64url: what the control plane registers. */
  publicKey: string;
}

export async function loadOrCreateIdentity(keyPath: string | undefined): Promise<NodeIdentity> {
  if (keyPath) {
    try {
      return fromPrivateKey(privateKeyFromPem(await readFile(keyPath, 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  if (keyPath) {
    await mkdir(dirname(keyPath), { recursive: true });
    await writeFile(keyPath, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  }
  return fromPrivateKey(privateKey);
}

function fromPrivateKey(privateKey: KeyObject): NodeIdentity {
  return { privateKey, publicKey: rawPublicKey(createPublicKey(privateKey)) };
}
