/**
 * Where a node downloads a build from: nearby nodes that hold it first (they serve the verified
 * archive from their cache), the control plane's build store last. Every request is signed with
 * the node's key (protocol/build-fetch-auth.ts), per request, so that a retry after a long drop is
 * not refused as stale; requests to peers also carry the peer fetch token the control plane gave
 * with their names (protocol/build-peers.ts).
 */
import type { KeyObject } from 'node:crypto';
import { signBuildFetch } from '../../protocol/build-fetch-auth.js';
import { BUILD_ROUTES } from '../../protocol/build-manifest.js';
import type { BuildPeers } from '../../protocol/build-peers.js';
import type { BuildSource } from './build-download.js';

export interface BuildSourceOptions {
  originUrl: string;
  nodeId: string;
  privateKey: KeyObject;
  /** Nearby nodes that hold the build, nearest first, as the control plane named them. */
  peers?: BuildPeers;
}

export function buildSources(buildId: string, options: BuildSourceOptions): BuildSource[] {
  const path = BUILD_ROUTES.archive(buildId);
  const signed = (): Record<string, string> => signBuildFetch(options.nodeId, 'GET', path, options.privateKey);
  const token = options.peers?.token;
  const peers =
    token === undefined
      ? []
      : (options.peers?.peers ?? []).map((peer): BuildSource => ({ kind: 'peer', url: new URL(path, peer.url).href, headers: () => ({ authorization: `Bearer ${token}`, ...signed() }) }));
  return [...peers, { kind: 'origin', url: new URL(path, options.originUrl).href, headers: signed }];
}
