/**
 * The secrets a control plane makes up when it is given none: the operator token nodes register
 * with, the ticket-signing key nodes verify tickets with, and the player-token secret. Made up
 * afresh on every start, a restart would refuse every node's and player's credentials (and nodes
 * would keep the old ticket key), so they are kept in the data directory and reused.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { OperatorTokens } from '../auth/operator-tokens.js';

const ControlPlaneSecrets = Type.Object({
  operatorToken: Type.String({ minLength: 16 }),
  ticketKeyPem: Type.String({ minLength: 1 }),
  guestTokenSecret: Type.String({ minLength: 32 }),
});
export type ControlPlaneSecrets = Static<typeof ControlPlaneSecrets>;

const SECRETS_FILE = 'secrets.json';

/** The secrets kept in `dir`, made (and kept, readable by this user only) on first use. */
export async function loadOrCreateSecrets(dir: string): Promise<ControlPlaneSecrets> {
  const path = join(dir, SECRETS_FILE);
  const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing !== undefined) {
    const parsed: unknown = JSON.parse(existing);
    if (!Value.Check(ControlPlaneSecrets, parsed)) throw new Error(`${path} is not a control-plane secrets file; move it away to make new secrets`);
    return parsed;
  }
  const secrets: ControlPlaneSecrets = {
    operatorToken: OperatorTokens.generateToken(),
    ticketKeyPem: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    guestTokenSecret: randomBytes(32).toString('base64url'),
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(`${path}.tmp`, JSON.stringify(secrets), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
  return secrets;
}
