/**
 * Placement under contention, on Redis and on a Redis Cluster: a thousand players racing for the
 * same nodes, and several control-plane instances placing over one store at once.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlacementResult } from '../../../protocol/placement.js';
import { TICKET_ISSUER } from '../../../protocol/ticket.js';
import { createControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../../services/app.js';
import { GuestAuth } from '../../../services/auth/guest-auth.js';
import { useBackends } from './helpers/backends.js';
import { expectSlotsBalanced } from './helpers/invariants.js';
import { BERLIN, errorCode, TestPlayer } from './helpers/players.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const backends = useBackends(['redis', 'redis-cluster']);

type Placed = Extract<PlacementResult, { state: 'placed' }>;
type Queued = Extract<PlacementResult, { state: 'queued' }>;

/** Runs `task` over `items`, `width` at a time. */
async function inBatches<T, R>(items: readonly T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += width) results.push(...(await Promise.all(items.slice(start, start + width).map(task))));
  return results;
}

describe.each(backends)('placement under contention ($name store)', (backend) => {
  const controlPlanes: ControlPlane[] = [];
  const guestTokenSecret = randomBytes(32).toString('base64url');

  async function start(options: ControlPlaneOptions): Promise<ControlPlane> {
    // A thousand players from one address: the per-address limits (abuse-limits.test.ts) would refuse most.
    const started = await createControlPlane({ logger: { level: 'silent' }, nodeTtlMs: 60_000, guestTokenSecret, rateLimits: false, ...options });
    controlPlanes.push(started);
    return started;
  }

  async function liveNode(on: ControlPlane, slots: number, port: number): Promise<TestEdgeNode> {
    const node = new TestEdgeNode(on.url, on.operatorToken, { slots, location: BERLIN, signallingUrl: `http://127.0.0.1:${port}/` });
    expect((await node.register()).status).toBe(200);
    return node;
  }

  afterEach(async () => {
    for (const started of controlPlanes.splice(0)) {
      await expectSlotsBalanced(started);
      await started.close();
    }
  });

  it('gives the last slot of the best node to exactly one of 1,000 players choosing at once, and never over-books', async () => {
    const controlPlane = await start({ store: backend.store(), candidateCount: 2, queue: { maxLength: 600 } });
    const best = await liveNode(controlPlane, 1, 7201);
    const second = await liveNode(controlPlane, 5, 7202);
    const guests = new GuestAuth(guestTokenSecret);
    const players = Array.from({ length: 1_000 }, () => new TestPlayer(controlPlane.url, guests.issue()));

    const offers = await inBatches(players, 50, (player) => player.offer(BERLIN));
    for (const offer of offers) expect(new Set(offer.candidates.map((candidate) => candidate.nodeId))).toEqual(new Set([best.nodeId, second.nodeId]));

    const choices = await Promise.all(
      players.map((player, i) =>
        player.choose(offers[i]!.placementId, [
          { nodeId: best.nodeId, rttMs: 10 },
          { nodeId: second.nodeId, rttMs: 20 },
        ]),
      ),
    );
    const results = choices.filter((choice) => choice.status === 200).map((choice) => choice.body as PlacementResult);
    const placedOn = (nodeId: string) => results.filter((result) => result.state === 'placed' && result.session.nodeId === nodeId).length;
    const queued = results.filter((result): result is Queued => result.state === 'queued');
    const refused = choices.filter((choice) => choice.status !== 200);

    expect(placedOn(best.nodeId)).toBe(1);
    expect(placedOn(second.nodeId)).toBe(5);
    expect(queued.map((result) => result.position).sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(refused).toHaveLength(394);
    for (const response of refused) {
      expect(response.status).toBe(503);
      expect(errorCode(response)).toBe('NO_CAPACITY');
    }
    expect(await controlPlane.store.nodeSlots(best.nodeId)).toEqual({ capacity: 1, reserved: 1, busy: 0, free: 0 });
    expect(await controlPlane.store.nodeSlots(second.nodeId)).toEqual({ capacity: 5, reserved: 5, busy: 0, free: 0 });
  });

  it('places players correctly with three control-plane instances over one store at once', async () => {
    const keyDir = await mkdtemp(join(tmpdir(), 'edgeplay-ticket-key-'));
    try {
      const ticketKeyPath = join(keyDir, 'ticket.pem');
      await writeFile(ticketKeyPath, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
      const shared: ControlPlaneOptions = { store: backend.store(), ticketKeyPath, operatorTokens: ['ept_shared-operator-token'] };
      const instances = [await start(shared), await start(shared), await start(shared)];
      const nodes = await Promise.all(instances.map((instance, i) => liveNode(instance, 3, 7301 + i)));
      const players = await Promise.all(Array.from({ length: 30 }, (_, i) => TestPlayer.join(instances[i % 3]!.url)));

      const placements = await Promise.all(
        players.map(async (player) => {
          const offer = await player.offer(BERLIN);
          const response = await player.choose(offer.placementId, offer.candidates.map(({ nodeId }) => ({ nodeId, rttMs: 10 })));
          expect(response.status).toBe(200);
          return { player, offer, result: response.body as PlacementResult };
        }),
      );
      const placed = placements.filter(({ result }) => result.state === 'placed');
      expect(placed).toHaveLength(9);
      for (const node of nodes) expect(await instances[0]!.store.nodeSlots(node.nodeId)).toEqual({ capacity: 3, reserved: 3, busy: 0, free: 0 });

      const key = await importJWK(instances[2]!.ticketPublicJwk, 'EdDSA');
      for (const { player, result } of placed) {
        const { session } = result as Placed;
        await expect(jwtVerify(session.ticket, key, { issuer: TICKET_ISSUER, audience: session.nodeId, subject: player.playerId })).resolves.toBeDefined();
      }

      // Queued players poll through an instance other than the one that queued them.
      const waiting = placements.filter(({ result }) => result.state === 'queued');
      const across = (player: TestPlayer, i: number) => new TestPlayer(instances[(i + 1) % 3]!.url, player.guest);
      const standing = async () =>
        Promise.all(waiting.map(async ({ player, offer }, i) => (await across(player, i).poll(offer.placementId)).body as PlacementResult));
      const positions = (await standing()).map((result) => (result as Queued).position);
      expect([...positions].sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));

      for (const { result } of placed.slice(0, 2)) {
        const { session } = result as Placed;
        const node = nodes.find((candidate) => candidate.nodeId === session.nodeId)!;
        expect((await node.reportEnd(session.sessionId)).status).toBe(200);
      }
      const byPosition = waiting.map((entry, i) => ({ ...entry, i, position: positions[i]! })).sort((a, b) => a.position - b.position);
      const polled: PlacementResult[] = [];
      for (const { player, offer, i } of byPosition) polled.push((await across(player, i).poll(offer.placementId)).body as PlacementResult);
      expect(polled.map((result) => result.state)).toEqual([...Array(2).fill('placed'), ...Array(19).fill('queued')]);
      expect(polled.slice(2).map((result) => (result as Queued).position)).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    } finally {
      await rm(keyDir, { recursive: true, force: true });
    }
  });
});
