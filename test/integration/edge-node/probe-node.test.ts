/** A registered edge node answers probes signed with the control plane's ticket key, and only for itself. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSystem, type LocalSystem } from '../../../infra/local/system.js';
import { PROBE_TOKEN_ISSUER } from '../../../protocol/placement.js';

describe('edge node probe endpoint, wired into a registered node', () => {
  let system: LocalSystem;
  let keyDir: string;
  let controlPlaneKey: KeyObject;

  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'edgeplay-probe-'));
    controlPlaneKey = generateKeyPairSync('ed25519').privateKey;
    const keyPath = join(keyDir, 'ticket-key.pem');
    await writeFile(keyPath, controlPlaneKey.export({ type: 'pkcs8', format: 'pem' }));
    system = await startLocalSystem({ logger: pino({ level: 'silent' }), controlPlane: { ticketKeyPath: keyPath }, nodes: [{ name: 'probed', slots: 1 }] });
  });
  afterAll(async () => {
    await system?.close();
    await rm(keyDir, { recursive: true, force: true });
  });

  const token = (aud: string[]): Promise<string> =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(PROBE_TOKEN_ISSUER)
      .setAudience(aud)
      .setIssuedAt()
      .setExpirationTime('30s')
      .sign(controlPlaneKey);

  it('answers 204 to a token naming it and 403 to one naming other nodes', async () => {
    const node = system.nodes[0]!;
    const probe = async (aud: string[]): Promise<number> => (await fetch(`${node.signallingUrl}/probe?token=${await token(aud)}`)).status;
    expect(await probe(['elsewhere', node.nodeId])).toBe(204);
    expect(await probe(['elsewhere'])).toBe(403);
  });
});
