/**
 * Where a node downloads a build from: nearby nodes that hold it first (they serve the verified
 * archive from their cache), the control plane's build store last. Every request to the origin
 * is signed with the node's key (protocol/build-fetch-auth.ts), per request, so that a retry after
 * a long drop is not refused as stale.
 */
import type { KeyObject } from 'node:crypto';
import { signBuildFetch } from '../../protocol/build-fetch-auth.js';
import { BUILD_ROUTES } from '../../protocol/build-manifest.js';
import type { BuildSource } from './build-download.js';

export interface BuildSourceOptions {
  originUrl: string;
  nodeId: string;
  privateKey: KeyObject;
  /** Base URLs of nearby nodes that hold the build (their build endpoints). */
  peers?: readonly string[];
}

export function buildSources(buildId: string, options: BuildSourceOptions): BuildSource[] {
  const path = BUILD_ROUTES.archive(buildId);
  const signed = (): Record<string, string> => signBuildFetch(options.nodeId, 'GET', path, options.privateKey);
  const peers = (options.peers ?? []).map((base): BuildSource => ({ kind: 'peer', url: new URL(path, base).href, headers: signed }));
  return [...peers, { kind: 'origin', url: new URL(path, options.originUrl).href, headers: signed }];
}
