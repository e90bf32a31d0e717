/**
 * The signed headers of a build download (see protocol/build-manifest.ts): the node signs the
 * request it makes with its registered Ed25519 key; the server checks the signature against the
 * live node's key and the time against its clock.
 */
import type { KeyObject } from 'node:crypto';
import { BUILD_FETCH_HEADERS, type BuildFetchAuthPayload } from './build-manifest.js';
import { signPayload } from './signing.js';

export function signBuildFetch(
  nodeId: string,
  method: BuildFetchAuthPayload['method'],
  path: string,
  privateKey: KeyObject,
  now = Date.now(),
): Record<string, string> {
  const payload: BuildFetchAuthPayload = { nodeId, method, path, sentAt: now };
  return {
    [BUILD_FETCH_HEADERS.nodeId]: nodeId,
    [BUILD_FETCH_HEADERS.sentAt]: String(now),
    [BUILD_FETCH_HEADERS.signature]: signPayload(payload, privateKey),
  };
}

/** The payload the headers claim to have signed, or null when a header is missing or malformed. */
export function readBuildFetchAuth(
  headers: Record<string, string | string[] | undefined>,
  method: string,
  path: string,
): { payload: BuildFetchAuthPayload; signature: string } | null {
  const nodeId = headers[BUILD_FETCH_HEADERS.nodeId];
  const sentAt = headers[BUILD_FETCH_HEADERS.sentAt];
  const signature = headers[BUILD_FETCH_HEADERS.signature];
  if (typeof nodeId !== 'string' || typeof sentAt !== 'string' || typeof signature !== 'string') return null;
  if (!/^\d{1,16}$/.test(sentAt) || (method !== 'GET' && method !== 'HEAD')) return null;
  return { payload: { nodeId, method, path, sentAt: Number(sentAt) }, signature };
}
