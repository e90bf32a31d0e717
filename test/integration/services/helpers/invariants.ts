import { expect } from 'vitest';
import type { NodeList } from '../../../../protocol/http.js';
import type { ControlPlane } from '../../../../services/app.js';
import { api } from './http.js';

/** free + reserved + busy == capacity for every live node, in the store and in the API's view. */
export async function expectSlotsBalanced(controlPlane: ControlPlane): Promise<void> {
  for (const node of await controlPlane.store.listNodes()) {
    const slots = await controlPlane.store.nodeSlots(node.nodeId);
    expect(slots.free + slots.reserved + slots.busy, `slots of ${node.nodeId}`).toBe(slots.capacity);
  }
  const { body } = await api<NodeList>(controlPlane.url, '/v1/nodes', { token: controlPlane.operatorToken });
  for (const node of body.nodes) {
    expect(node.freeSlots + (node.reservedSlots ?? NaN) + (node.busySlots ?? NaN), `slots of ${node.nodeId}`).toBe(node.slots);
  }
}
