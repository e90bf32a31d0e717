import { SignJWT, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { TicketVerifier } from '../../../edge-node/tickets/ticket-verifier.js';
import { TICKET_ISSUER } from '../../../protocol/ticket.js';
import { signingKeys } from '../../support/ed25519-keys.js';
import { codeOf } from '../../support/error-code.js';

let privateKey: CryptoKey;
let publicJwk: JWK;
let otherKey: CryptoKey;

beforeAll(async () => {
  ({ privateKey, publicJwk, otherKey } = await signingKeys());
});

const ticket = (overrides: { aud?: string; expSeconds?: number; key?: CryptoKey; sid?: string; issuer?: string } = {}): Promise<string> => {
  const sid = overrides.sid ?? 's1';
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid, gameId: 'demo-arena', buildId: 'a'.repeat(64) })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(overrides.issuer ?? TICKET_ISSUER)
    .setSubject('player-1')
    .setAudience(overrides.aud ?? 'node-a')
    .setJti(sid)
    .setIssuedAt(now)
    .setExpirationTime(now + (overrides.expSeconds ?? 30))
    .sign(overrides.key ?? privateKey);
};

describe('TicketVerifier', () => {
  it('accepts a valid ticket once, then refuses it as reused', async () => {
    const verifier = await TicketVerifier.create(publicJwk, 'node-a');
    const t = await ticket({ sid: 'once' });
    await expect(verifier.verify(t)).resolves.toMatchObject({ sid: 'once', sub: 'player-1', aud: 'node-a' });
    expect(await codeOf(verifier.verify(t))).toBe('TICKET_REUSED');
  });

  it('refuses forged, expired, other-node, wrong-issuer and missing tickets with stable codes', async () => {
    const verifier = await TicketVerifier.create(publicJwk, 'node-a');
    expect(await codeOf(verifier.verify(await ticket({ key: otherKey })))).toBe('TICKET_INVALID');
    expect(await codeOf(verifier.verify(await ticket({ expSeconds: -120 })))).toBe('TICKET_EXPIRED');
    expect(await codeOf(verifier.verify(await ticket({ aud: 'node-b', sid: 's-b' })))).toBe('TICKET_WRONG_NODE');
    expect(await codeOf(verifier.verify(await ticket({ issuer: 'someone-else' })))).toBe('TICKET_INVALID');
    expect(await codeOf(verifier.verify('not.a.jwt'))).toBe('TICKET_INVALID');
    expect(await codeOf(verifier.verify(undefined))).toBe('TICKET_MISSING');
    const t = await ticket({ sid: 'tampered' });
    const [h, p, s] = t.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.sub = 'attacker';
    expect(await codeOf(verifier.verify(`${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`))).toBe('TICKET_INVALID');
  });
});
