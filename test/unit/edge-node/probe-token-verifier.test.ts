import { SignJWT, type JWK } from 'jose';
import * as jose from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ProbeTokenVerifier } from '../../../edge-node/probe/probe-token-verifier.js';
import { PROBE_TOKEN_ISSUER } from '../../../protocol/placement.js';
import { TICKET_ISSUER } from '../../../protocol/ticket.js';
import { signingKeys } from '../../support/ed25519-keys.js';
import { codeOf } from '../../support/error-code.js';

// Counts signature checks, to see that a token verified once is not checked again.
vi.mock('jose', async (importOriginal) => {
  const actual = await importOriginal<typeof import('jose')>();
  return { ...actual, jwtVerify: vi.fn(actual.jwtVerify) };
});

let privateKey: CryptoKey;
let publicJwk: JWK;
let otherKey: CryptoKey;

beforeAll(async () => {
  ({ privateKey, publicJwk, otherKey } = await signingKeys());
});

const T0 = 1_800_000_000_000;

const probeToken = (overrides: { aud?: string | string[]; expAt?: number; key?: CryptoKey; issuer?: string; nonce?: string } = {}): Promise<string> =>
  new SignJWT({ nonce: overrides.nonce ?? 'n' })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setIssuer(overrides.issuer ?? PROBE_TOKEN_ISSUER)
    .setAudience(overrides.aud ?? ['node-a', 'node-b'])
    .setIssuedAt(Math.floor(T0 / 1000))
    .setExpirationTime(Math.floor((overrides.expAt ?? T0 + 30_000) / 1000))
    .sign(overrides.key ?? privateKey);

describe('ProbeTokenVerifier', () => {
  it('accepts a token signed by the control plane that names this node among others, as often as it is sent', async () => {
    const verifier = await ProbeTokenVerifier.create(publicJwk, 'node-b', { now: () => T0 });
    const token = await probeToken();
    for (let i = 0; i < 5; i++) await expect(verifier.verify(token)).resolves.toBeUndefined();
    expect(await codeOf(verifier.verify(await probeToken({ aud: 'node-b', nonce: 'single' })))).toBe('accepted');
  });

  it('refuses forged, expired, other-node, wrong-issuer, malformed and missing tokens with stable codes', async () => {
    const verifier = await ProbeTokenVerifier.create(publicJwk, 'node-a', { now: () => T0 });
    expect(await codeOf(verifier.verify(await probeToken({ key: otherKey })))).toBe('PROBE_TOKEN_INVALID');
    expect(await codeOf(verifier.verify(await probeToken({ expAt: T0 - 1000 })))).toBe('PROBE_TOKEN_EXPIRED');
    expect(await codeOf(verifier.verify(await probeToken({ aud: ['node-b', 'node-c'] })))).toBe('PROBE_WRONG_NODE');
    // A session ticket is signed with the same key but is no probe token, and the reverse holds on the ticket side.
    expect(await codeOf(verifier.verify(await probeToken({ issuer: TICKET_ISSUER })))).toBe('PROBE_TOKEN_INVALID');
    expect(await codeOf(verifier.verify('not.a.jwt'))).toBe('PROBE_TOKEN_INVALID');
    expect(await codeOf(verifier.verify('x'.repeat(10_000)))).toBe('PROBE_TOKEN_INVALID');
    expect(await codeOf(verifier.verify(null))).toBe('PROBE_TOKEN_INVALID');
    expect(await codeOf(verifier.verify(''))).toBe('PROBE_TOKEN_INVALID');

    const [h, p, s] = (await probeToken({ aud: ['node-b'] })).split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const widened = `${h}.${Buffer.from(JSON.stringify({ ...claims, aud: ['node-a'] })).toString('base64url')}.${s}`;
    expect(await codeOf(verifier.verify(widened))).toBe('PROBE_TOKEN_INVALID');
  });

  it('checks a signature once per token, still expires the remembered token on time, and forgets the least recently used', async () => {
    const jwtVerify = vi.mocked(jose.jwtVerify);
    let now = T0;
    const verifier = await ProbeTokenVerifier.create(publicJwk, 'node-a', { now: () => now, cacheSize: 2 });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((nonce) => probeToken({ nonce, expAt: T0 + 10_000 })));

    jwtVerify.mockClear();
    for (let i = 0; i < 10; i++) await verifier.verify(a!);
    expect(jwtVerify).toHaveBeenCalledTimes(1);

    const wrongNode = await probeToken({ aud: ['node-z'] });
    jwtVerify.mockClear();
    expect(await codeOf(verifier.verify(wrongNode))).toBe('PROBE_WRONG_NODE');
    expect(await codeOf(verifier.verify(wrongNode))).toBe('PROBE_WRONG_NODE');
    expect(jwtVerify).toHaveBeenCalledTimes(1);

    await verifier.verify(b!);
    await verifier.verify(c!);
    jwtVerify.mockClear();
    await verifier.verify(a!);
    expect(jwtVerify).toHaveBeenCalledTimes(1);

    now = T0 + 10_000;
    jwtVerify.mockClear();
    expect(await codeOf(verifier.verify(a!))).toBe('PROBE_TOKEN_EXPIRED');
    expect(jwtVerify).not.toHaveBeenCalled();
  });
});
