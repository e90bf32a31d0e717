import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TICKET_ISSUER } from '../../../protocol/ticket.js';
import { TicketIssuer, TicketKeyError } from '../../../services/tickets/ticket-issuer.js';

const request = {
  sessionId: 'sabc',
  nodeId: 'n0123456789abcdef0123',
  playerId: 'pplayer',
  gameId: 'demo-arena',
  buildId: 'f'.repeat(64),
};

describe('TicketIssuer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-ticket-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('issues EdDSA tickets with the protocol claims, verifiable with its public JWK', async () => {
    const issuer = await TicketIssuer.create();
    const expiresAt = Date.now() + 30_000;
    const ticket = issuer.issue({ ...request, expiresAt });

    expect(issuer.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(issuer.publicJwk).not.toHaveProperty('d');
    expect(decodeProtectedHeader(ticket)).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: issuer.publicJwk.kid });

    const { payload } = await jwtVerify(ticket, await importJWK(issuer.publicJwk, 'EdDSA'), {
      issuer: TICKET_ISSUER,
      audience: request.nodeId,
      algorithms: ['EdDSA'],
    });
    expect(payload).toEqual({
      iss: TICKET_ISSUER,
      aud: request.nodeId,
      sub: request.playerId,
      sid: request.sessionId,
      jti: request.sessionId,
      gameId: request.gameId,
      buildId: request.buildId,
      iat: expect.any(Number),
      exp: Math.floor(expiresAt / 1000),
    });
  });

  it('rounds the expiry down, so the ticket never outlives the time it was given', async () => {
    const issuer = await TicketIssuer.create();
    const ticket = issuer.issue({ ...request, expiresAt: 1_900_000_000_999 });
    const { payload } = await jwtVerify(ticket, await importJWK(issuer.publicJwk, 'EdDSA'), { currentDate: new Date(1_899_999_999_000) });
    expect(payload.exp).toBe(1_900_000_000);
  });

  it('is rejected for another audience, another key, or once expired', async () => {
    const issuer = await TicketIssuer.create();
    const other = await TicketIssuer.create();
    const ticket = issuer.issue({ ...request, expiresAt: Date.now() + 30_000 });
    const key = await importJWK(issuer.publicJwk, 'EdDSA');
    await expect(jwtVerify(ticket, key, { audience: 'nother' })).rejects.toThrow(/aud/);
    await expect(jwtVerify(ticket, await importJWK(other.publicJwk, 'EdDSA'))).rejects.toThrow(/signature/);
    await expect(jwtVerify(ticket, key, { currentDate: new Date(Date.now() + 120_000) })).rejects.toThrow(/exp/);
  });

  it('loads its key from a PEM file, so instances sharing the file issue interchangeable tickets', async () => {
    const path = join(dir, 'ticket-key.pem');
    await writeFile(path, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const first = await TicketIssuer.create({ privateKeyPath: path });
    const second = await TicketIssuer.create({ privateKeyPath: path });
    expect(second.publicJwk).toEqual(first.publicJwk);
    const ticket = first.issue({ ...request, expiresAt: Date.now() + 30_000 });
    await expect(jwtVerify(ticket, await importJWK(second.publicJwk, 'EdDSA'))).resolves.toBeDefined();
  });

  it('refuses a key that is not Ed25519', async () => {
    const path = join(dir, 'rsa.pem');
    await writeFile(path, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await expect(TicketIssuer.create({ privateKeyPath: path })).rejects.toThrow(TicketKeyError);
  });
});
