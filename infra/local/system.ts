/**
 * Composes a control plane and edge nodes in one process: the one-machine default of
 * `npm start`, and the system that end-to-end tests and benchmarks drive.
 */
import type { Logger } from 'pino';
import { fileURLToPath } from 'node:url';
import { EdgeNode, type EdgeNodeOptions } from '../../edge-node/edge-node.js';
import { createControlPlane } from '../../services/app.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * On one machine the player connects over loopback, which no IP database can place, so the
 * control plane assumes players on this machine stand where the local nodes are.
 */
export const LOCAL_SITE = { lat: 52.52, lng: 13.405 };

export interface LocalSystemOptions {
  port?: number;
  redisUrl?: string;
  logger: Logger;
  /** Control-plane settings beyond the defaults (short TTLs in tests, say). */
  controlPlane?: Partial<Parameters<typeof createControlPlane>[0]>;
  /** One entry per edge node to start; each gets the control plane's URL and operator token. */
  nodes: Omit<EdgeNodeOptions, 'controlPlaneUrl' | 'operatorToken' | 'logger'>[];
}

export interface LocalSystem {
  url: string;
  controlPlane: Awaited<ReturnType<typeof createControlPlane>>;
  nodes: EdgeNode[];
  close(): Promise<void>;
}

export async function startLocalSystem(options: LocalSystemOptions): Promise<LocalSystem> {
  const controlPlane = await createControlPlane({
    host: '127.0.0.1',
    port: options.port ?? 0,
    store: options.redisUrl ? { redisUrl: options.redisUrl } : 'memory',
    webRoot: `${repoRoot}web-client/dist`,
    logger: options.logger,
    assumedLocationForLocalClients: LOCAL_SITE,
    ...options.controlPlane,
  });
  const nodes: EdgeNode[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
    await controlPlane.close();
  };
  try {
    for (const node of options.nodes) {
      nodes.push(await EdgeNode.start({ location: LOCAL_SITE, ...node, controlPlaneUrl: controlPlane.url, operatorToken: controlPlane.operatorToken, logger: options.logger }));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { url: controlPlane.url, controlPlane, nodes, close };
}
