/** A player's calls to the control plane, over real HTTP. */
import type { GuestToken, SessionCreated } from '../../protocol/http.js';

export async function postJson<T>(url: string, body: unknown, token?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

export async function createSession(baseUrl: string, gameId = 'demo-arena'): Promise<SessionCreated> {
  const guest = await postJson<GuestToken>(`${baseUrl}/v1/auth/guest`, {});
  const created = await postJson<SessionCreated>(`${baseUrl}/v1/sessions`, { gameId }, guest.body.token);
  if (created.status !== 201 && created.status !== 200) throw new Error(`session not created: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body;
}

/** The node's slot accounting, which only its operator's token may read. */
export async function nodeSlots(baseUrl: string, nodeId: string, operatorToken: string): Promise<{ freeSlots: number; reservedSlots: number; busySlots: number; slots: number } | undefined> {
  const response = await fetch(`${baseUrl}/v1/nodes`, { headers: { authorization: `Bearer ${operatorToken}` } });
  const { nodes } = (await response.json()) as { nodes: { nodeId: string; freeSlots: number; reservedSlots: number; busySlots: number; slots: number }[] };
  return nodes.find((n) => n.nodeId === nodeId);
}
