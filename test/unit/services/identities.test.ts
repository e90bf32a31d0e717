/** The small pieces that give things their names and keys: node ids, operator tokens, guest tokens, the demo build. */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../protocol/errors.js';
import { rawPublicKey } from '../../../protocol/signing.js';
import { GuestAuth } from '../../../services/auth/guest-auth.js';
import { OperatorTokens } from '../../../services/auth/operator-tokens.js';
import { Catalogue, DEMO_GAME } from '../../../services/catalogue/catalogue.js';
import { nodeIdForPublicKey } from '../../../services/registry/node-id.js';

describe('nodeIdForPublicKey', () => {
  it('derives a stable id from the key, different for every key', () => {
    const first = rawPublicKey(generateKeyPairSync('ed25519').publicKey);
    const second = rawPublicKey(generateKeyPairSync('ed25519').publicKey);
    expect(nodeIdForPublicKey(first)).toMatch(/^n[0-9a-f]{20}$/);
    expect(nodeIdForPublicKey(first)).toBe(nodeIdForPublicKey(first));
    expect(nodeIdForPublicKey(first)).not.toBe(nodeIdForPublicKey(second));
    const expected = createHash('sha256').update(Buffer.from(first, 'base64url')).digest('hex').slice(0, 20);
    expect(nodeIdForPublicKey(first)).toBe(`n${expected}`);
  });
});

describe('OperatorTokens', () => {
  it('maps each valid token to a stable operator id and refuses others', () => {
    const tokens = new OperatorTokens(['alpha-token', 'beta-token']);
    const alpha = tokens.authenticate('alpha-token');
    expect(alpha).toMatch(/^op[0-9a-f]{16}$/);
    expect(tokens.authenticate('alpha-token')).toBe(alpha);
    expect(tokens.authenticate('beta-token')).not.toBe(alpha);
    expect(() => tokens.authenticate('gamma-token')).toThrow(AppError);
    expect(() => tokens.authenticate(null)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
  });

  it('generates unguessable tokens', () => {
    expect(OperatorTokens.generateToken()).toMatch(/^ept_[A-Za-z0-9_-]{43}$/);
    expect(OperatorTokens.generateToken()).not.toBe(OperatorTokens.generateToken());
    expect(() => new OperatorTokens([])).toThrow(RangeError);
  });
});

describe('GuestAuth', () => {
  const unauthorized = expect.objectContaining({ code: 'UNAUTHORIZED' });

  it('issues an HS256 JWT for its player that authenticates as that player', async () => {
    const secret = 'd'.repeat(32);
    const auth = new GuestAuth(secret);
    const { playerId, token } = auth.issue();
    expect(auth.authenticate(token)).toBe(playerId);
    // Any JWT library reads it: jose, as the standard, checks the claims fast-jwt wrote.
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret), {
      issuer: 'edgeplay-control-plane',
      audience: 'edgeplay-player',
      algorithms: ['HS256'],
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.sub).toBe(playerId);
    expect(payload.exp! - payload.iat!).toBe(24 * 60 * 60);
  });

  it('accepts tokens from another instance with the same secret only', () => {
    const secret = 'a'.repeat(32);
    const { playerId, token } = new GuestAuth(secret).issue();
    expect(new GuestAuth(secret).authenticate(token)).toBe(playerId);
    expect(() => new GuestAuth('b'.repeat(32)).authenticate(token)).toThrow(unauthorized);
    expect(() => new GuestAuth('short')).toThrow(RangeError);
  });

  it('refuses a missing, malformed, unsigned, expired, subjectless or foreign-audience token', async () => {
    const secret = 'c'.repeat(32);
    const auth = new GuestAuth(secret);
    const key = new TextEncoder().encode(secret);
    const claims = () => new SignJWT({}).setIssuer('edgeplay-control-plane').setAudience('edgeplay-player');
    const expired = await claims().setProtectedHeader({ alg: 'HS256' }).setSubject('p1').setExpirationTime(1).sign(key);
    const wrongAudience = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('edgeplay-control-plane').setAudience('nsomenode').setSubject('p1').setExpirationTime('1h').sign(key);
    const noSubject = await claims().setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key);
    const otherAlgorithm = await claims().setProtectedHeader({ alg: 'HS512' }).setSubject('p1').setExpirationTime('1h').sign(new Uint8Array(64).fill(99));
    const [header, payload] = (await claims().setProtectedHeader({ alg: 'HS256' }).setSubject('p1').setExpirationTime('1h').sign(key)).split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    const forged = `${header}.${payload}.${Buffer.alloc(32).toString('base64url')}`;
    for (const token of [null, 'not.a.jwt', expired, wrongAudience, noSubject, otherAlgorithm, unsigned, forged]) {
      expect(() => auth.authenticate(token)).toThrow(unauthorized);
    }
  });
});

describe('Catalogue', () => {
  it('holds the demo game, whose build id is sha256 of its version string', () => {
    expect(DEMO_GAME.buildId).toBe(createHash('sha256').update('edgeplay-demo-arena-v1').digest('hex'));
    const catalogue = new Catalogue();
    expect(catalogue.list()).toEqual([DEMO_GAME]);
    expect(catalogue.get('demo-arena')).toBe(DEMO_GAME);
    expect(() => catalogue.get('nope')).toThrow(expect.objectContaining({ code: 'GAME_NOT_FOUND', status: 404 }));
  });
});
