/**
 * Control planes a describe block starts on one backend, with nodes that stay live for the whole
 * test (a long node TTL); after each test every slot must balance, then they close.
 */
import { afterEach, expect } from 'vitest';
import { createControlPlane, type ControlPlane } from '../../../../services/app.js';
import type { Backend } from './backends.js';
import { expectSlotsBalanced } from './invariants.js';
import { BERLIN } from './players.js';
import { TestEdgeNode } from './test-edge-node.js';

export interface LiveControlPlanes {
  start(): Promise<ControlPlane>;
  /** A node in Berlin, registered, whose signalling URL names `port`. */
  liveNode(controlPlane: ControlPlane, port: number, slots?: number): Promise<TestEdgeNode>;
}

/** Call inside a describe block. */
export function useLiveControlPlanes(backend: Backend): LiveControlPlanes {
  const controlPlanes: ControlPlane[] = [];
  afterEach(async () => {
    for (const controlPlane of controlPlanes.splice(0)) {
      await expectSlotsBalanced(controlPlane);
      await controlPlane.close();
    }
  });
  return {
    start: async () => {
      const controlPlane = await createControlPlane({ store: backend.store(), logger: { level: 'silent' }, nodeTtlMs: 60_000 });
      controlPlanes.push(controlPlane);
      return controlPlane;
    },
    liveNode: async (controlPlane, port, slots = 1) => {
      const node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { location: BERLIN, slots, signallingUrl: `http://127.0.0.1:${port}/` });
      expect((await node.register()).status).toBe(200);
      return node;
    },
  };
}
