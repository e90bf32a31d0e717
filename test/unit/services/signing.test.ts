import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, publicKeyFromRaw, rawPublicKey, signPayload, verifyPayload } from '../../../protocol/signing.js';

describe('canonical signing', () => {
  it('orders keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson([null, true, 'é'])).toBe('[null,true,"é"]');
  });

  it('verifies a payload whatever order its keys arrive in', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const payload = { nodeId: 'n1', seq: 3, sentAt: 1_700_000_000_000, activeSessions: ['s1'] };
    const signature = signPayload(payload, privateKey);
    expect(signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    const reordered = JSON.parse('{"activeSessions":["s1"],"sentAt":1700000000000,"seq":3,"nodeId":"n1"}') as unknown;
    expect(verifyPayload(reordered, signature, publicKeyFromRaw(rawPublicKey(publicKey)))).toBe(true);
  });

  it('rejects a changed payload, another key, or a malformed signature', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    const payload = { nodeId: 'n1', seq: 3 };
    const signature = signPayload(payload, privateKey);
    expect(verifyPayload({ ...payload, seq: 4 }, signature, publicKey)).toBe(false);
    expect(verifyPayload(payload, signature, other.publicKey)).toBe(false);
    expect(verifyPayload(payload, 'not-a-signature', publicKey)).toBe(false);
  });

  it('round-trips a raw public key through base64url', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = rawPublicKey(publicKey);
    expect(raw).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rawPublicKey(publicKeyFromRaw(raw))).toBe(raw);
  });
});
