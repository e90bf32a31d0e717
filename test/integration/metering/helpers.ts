/** A player placed with a usage key, and the usage records both sides sign, over real HTTP. */
import { expect } from 'vitest';
import type { FlagResolved, PlayerUsagePayload, SignedPlayerUsage } from '../../../protocol/metering.js';
import type { PlacementResult } from '../../../protocol/placement.js';
import type { SessionCreated } from '../../../protocol/http.js';
import { signPayload } from '../../../protocol/signing.js';
import { UsageSigner } from '../../../web-client/src/lib/usage-signer.js';
import { api, type ApiResponse } from '../services/helpers/http.js';
import { BERLIN, TestPlayer } from '../services/helpers/players.js';
import type { TestEdgeNode } from '../services/helpers/test-edge-node.js';

export class MeteredPlayer {
  private constructor(
    readonly player: TestPlayer,
    readonly signer: UsageSigner,
  ) {}

  static async join(baseUrl: string): Promise<MeteredPlayer> {
    return new MeteredPlayer(await TestPlayer.join(baseUrl), await UsageSigner.create());
  }

  /** The same player with a fresh usage key, as the page makes for each session it places (a failover's too). */
  async withNewKey(): Promise<MeteredPlayer> {
    return new MeteredPlayer(this.player, await UsageSigner.create());
  }

  /** Places on `node` (the only one near, or chosen by RTT) with this player's usage key, avoiding `excludeNodes` (a failover). */
  async place(node: TestEdgeNode, gameId = 'demo-arena', excludeNodes: string[] = []): Promise<SessionCreated> {
    const { baseUrl, guest } = this.player;
    const body = { gameId, location: BERLIN, usageKey: this.signer.publicKey, ...(excludeNodes.length > 0 ? { excludeNodes } : {}) };
    const offer = await api<{ placementId: string }>(baseUrl, '/v1/placements', { body, token: guest.token });
    expect(offer.status, JSON.stringify(offer.body)).toBe(201);
    const choice = await api<PlacementResult>(baseUrl, `/v1/placements/${offer.body.placementId}/choice`, { body: { measurements: [{ nodeId: node.nodeId, rttMs: 5 }] }, token: guest.token });
    expect(choice.status, JSON.stringify(choice.body)).toBe(200);
    if (choice.body.state !== 'placed') throw new Error('not placed');
    return choice.body.session;
  }

  usage(session: SessionCreated, overrides: Partial<PlayerUsagePayload> = {}): PlayerUsagePayload {
    return {
      sessionId: session.sessionId,
      nodeId: session.nodeId,
      secondsWatched: 59,
      framesReceived: 3560,
      framesDecoded: 3550,
      width: 1280,
      height: 720,
      fps: 60,
      latencyP50Ms: 14,
      latencyP95Ms: 25,
      rttMs: 3,
      sentAt: Date.now(),
      ...overrides,
    };
  }

  async report(sessionId: string, record: SignedPlayerUsage): Promise<ApiResponse> {
    return api(this.player.baseUrl, `/v1/sessions/${sessionId}/usage`, { body: record, token: this.player.guest.token });
  }

  async reportUsage(session: SessionCreated, overrides: Partial<PlayerUsagePayload> = {}): Promise<ApiResponse> {
    return this.report(session.sessionId, await this.signer.sign(this.usage(session, overrides)));
  }
}

/** The node's end report for a session of `seconds` with `frames`, signed by the node. */
export function nodeEndReport(node: TestEdgeNode, sessionId: string, seconds: number, frames: number): ReturnType<TestEdgeNode['endReport']> {
  const report = node.endReport(sessionId);
  const payload = { ...report.payload, startedAt: report.payload.endedAt - seconds * 1000, framesSent: frames };
  return { payload, signature: signPayload(payload, node.privateKey) };
}

/** A session on `node` played by a new player: the node reports `seconds` and `frames`, the player its record (with `usage` changes). */
export async function meteredSession(
  baseUrl: string,
  node: TestEdgeNode,
  seconds: number,
  frames: number,
  usage: Partial<PlayerUsagePayload> = {},
): Promise<{ player: MeteredPlayer; session: SessionCreated }> {
  const player = await MeteredPlayer.join(baseUrl);
  const session = await player.place(node);
  expect((await node.reportStart(session.sessionId)).status).toBe(200);
  expect((await node.reportEnd(session.sessionId, nodeEndReport(node, session.sessionId, seconds, frames))).status).toBe(200);
  const reported = await player.reportUsage(session, usage);
  expect(reported.status, JSON.stringify(reported.body)).toBe(200);
  return { player, session };
}

/** The admin's resolution of a flagged session. */
export async function resolveFlag(baseUrl: string, adminToken: string, sessionId: string, body: unknown): Promise<ApiResponse<FlagResolved>> {
  return api<FlagResolved>(baseUrl, `/v1/admin/flagged-usage/${sessionId}/resolution`, { body, token: adminToken });
}
