/**
 * Heartbeats authenticated with a key the control plane gave the node at registration (which the
 * node signed with its Ed25519 key, the root of trust): HMAC-SHA256 over the canonical JSON of the
 * payload costs a few microseconds where an Ed25519 check costs a tenth of a millisecond, and
 * each node's key is its own, so one node cannot speak for another.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { HeartbeatPayload } from './http.js';
import { canonicalJson } from './signing.js';

/** Separates heartbeat MACs from anything else a key might ever authenticate. */
const DOMAIN = 'edgeplay-heartbeat-v1\n';

export function generateHeartbeatKey(): string {
  return randomBytes(32).toString('base64url');
}

export function heartbeatMac(payload: HeartbeatPayload, key: Buffer): string {
  return createHmac('sha256', key).update(DOMAIN).update(canonicalJson(payload)).digest('base64url');
}

export function verifyHeartbeatMac(payload: HeartbeatPayload, mac: string, key: Buffer): boolean {
  const expected = createHmac('sha256', key).update(DOMAIN).update(canonicalJson(payload)).digest();
  const given = Buffer.from(mac, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
