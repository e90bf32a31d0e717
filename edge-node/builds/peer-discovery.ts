/**
 * Asks the control plane which live nodes near this one hold a build (protocol/build-peers.ts),
 * signed like a build download. Discovery is only a shortcut: when it fails, or answers nonsense,
 * the node downloads from the origin as it would without peers.
 */
import type { KeyObject } from 'node:crypto';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Logger } from 'pino';
import { signBuildFetch } from '../../protocol/build-fetch-auth.js';
import { BUILD_PEER_ROUTES, BuildPeers } from '../../protocol/build-peers.js';

const peersChecker = TypeCompiler.Compile(BuildPeers);
const DISCOVERY_TIMEOUT_MS = 5000;

export interface PeerDiscoveryOptions {
  controlPlaneUrl: string;
  nodeId: string;
  privateKey: KeyObject;
  logger: Logger;
}

/** The peers to try before the origin; none when the control plane cannot say. */
export async function discoverBuildPeers(buildId: string, options: PeerDiscoveryOptions): Promise<BuildPeers> {
  const none: BuildPeers = { buildId, peers: [] };
  const path = BUILD_PEER_ROUTES.peers(buildId);
  try {
    const response = await fetch(new URL(path, options.controlPlaneUrl), {
      headers: signBuildFetch(options.nodeId, 'GET', path, options.privateKey),
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    });
    const body: unknown = await response.json();
    if (response.ok && peersChecker.Check(body) && body.buildId === buildId) return body;
    options.logger.warn({ buildId, status: response.status, body }, 'peer discovery answered no usable peers; fetching from the origin');
  } catch (error) {
    options.logger.warn({ err: error, buildId }, 'peer discovery failed; fetching from the origin');
  }
  return none;
}
