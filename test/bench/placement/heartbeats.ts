/**
 * Heartbeats for bench:placement: some of the world's nodes get real credentials (an Ed25519 key
 * and a heartbeat MAC key in their records, as a registration would leave them), and blocks of
 * heartbeats for them are made here, signed or MAC'd, for the load generator to send.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { generateHeartbeatKey, heartbeatMac } from '../../../protocol/heartbeat-mac.js';
import type { HeartbeatPayload } from '../../../protocol/http.js';
import { rawPublicKey, signPayload } from '../../../protocol/signing.js';
import { RedisStore } from '../../../services/store/redis-store.js';
import type { LoadRequestSpec } from './load-protocol.js';
import { BENCH_KEY_PREFIX, NODE_TTL_MS, nodeIdOf, nodeRecord } from './redis-world.js';
import type { WorldNodes } from './world.js';

export type HeartbeatAuth = 'ed25519' | 'hmac';

export interface HeartbeatNode {
  nodeId: string;
  privateKey: KeyObject;
  heartbeatKey: Buffer;
}

/** Registers nodes 0..count-1 again, now with their keys; the rest of the world stays as it is. */
export async function credentialNodes(redisUrl: string, nodes: WorldNodes, count: number): Promise<HeartbeatNode[]> {
  const store = await RedisStore.connect({ redisUrl }, { keyPrefix: BENCH_KEY_PREFIX });
  try {
    const at = Date.now();
    const credentialed: HeartbeatNode[] = [];
    const records = [];
    for (let n = 0; n < count; n++) {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const heartbeatKey = generateHeartbeatKey();
      records.push({ ...nodeRecord(nodes, n, at), publicKey: rawPublicKey(publicKey), heartbeatKey });
      credentialed.push({ nodeId: nodeIdOf(n), privateKey, heartbeatKey: Buffer.from(heartbeatKey, 'base64url') });
    }
    await store.upsertNodes(records, NODE_TTL_MS);
    return credentialed;
  } finally {
    await store.close();
  }
}

/** One heartbeat per node with sequence number `seq`, authenticated as `auth` says. */
export function heartbeatBlock(nodes: readonly HeartbeatNode[], auth: HeartbeatAuth, seq: number): LoadRequestSpec[] {
  const sentAt = Date.now();
  return nodes.map(({ nodeId, privateKey, heartbeatKey }) => {
    const payload: HeartbeatPayload = { nodeId, seq, sentAt, activeSessions: [] };
    const body = auth === 'hmac' ? { payload, mac: heartbeatMac(payload, heartbeatKey) } : { payload, signature: signPayload(payload, privateKey) };
    return { path: `/v1/nodes/${nodeId}/heartbeat`, body };
  });
}
