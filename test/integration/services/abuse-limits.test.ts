/**
 * What an attacker can take from the control plane without forging anything: rates, slots, oversized
 * bodies, hostile node endpoints and the nodes' whereabouts. Over real HTTP, on each store backend.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorResponse, GuestToken, NodeList, SessionCreated } from '../../../protocol/http.js';
import type { PlacementOffer } from '../../../protocol/placement.js';
import { createControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../../services/app.js';
import { DEMO_GAME } from '../../../services/catalogue/catalogue.js';
import { useBackends } from './helpers/backends.js';
import { api, type ApiResponse } from './helpers/http.js';
import { pollUntil } from './helpers/poll.js';
import { BERLIN } from './helpers/players.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const backends = useBackends();
const code = (response: ApiResponse<unknown>): string | undefined => (response.body as ErrorResponse).error?.code;

describe.each(backends)('abuse limits ($name store)', (backend) => {
  const controlPlanes: ControlPlane[] = [];
  afterEach(async () => {
    await Promise.all(controlPlanes.splice(0).map((controlPlane) => controlPlane.close()));
  });

  async function start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const controlPlane = await createControlPlane({
      store: backend.store(),
      logger: { level: 'silent' },
      nodeTtlMs: 60_000,
      assumedLocationForLocalClients: BERLIN,
      trustProxy: true,
      ...options,
    });
    controlPlanes.push(controlPlane);
    return controlPlane;
  }

  const guestFrom = (controlPlane: ControlPlane, address = '198.51.100.7') =>
    api<GuestToken>(controlPlane.url, '/v1/auth/guest', { method: 'POST', headers: { 'x-forwarded-for': address } });

  async function guest(controlPlane: ControlPlane): Promise<GuestToken> {
    const response = await guestFrom(controlPlane, `203.0.113.${Math.floor(Math.random() * 250) + 1}`);
    expect(response.status).toBe(201);
    return response.body;
  }

  async function liveNode(controlPlane: ControlPlane, slots = 2): Promise<TestEdgeNode> {
    const node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { slots });
    expect((await node.register()).status).toBe(200);
    return node;
  }

  const launch = (controlPlane: ControlPlane, token: string) =>
    api<SessionCreated | ErrorResponse>(controlPlane.url, '/v1/sessions', { body: { gameId: DEMO_GAME.id }, token });
  const offer = (controlPlane: ControlPlane, token: string) =>
    api<PlacementOffer | ErrorResponse>(controlPlane.url, '/v1/placements', { body: { gameId: DEMO_GAME.id, location: BERLIN }, token });

  describe('rate limits', () => {
    it('gives one address a bounded number of guest tokens a minute, and other addresses their own', async () => {
      const controlPlane = await start({ rateLimits: { guestTokensPerAddress: 5 } });
      const statuses = [];
      for (let i = 0; i < 8; i++) statuses.push((await guestFrom(controlPlane)).status);
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
      const refused = await guestFrom(controlPlane);
      expect(refused.body).toMatchObject({ error: { code: 'RATE_LIMITED', details: { limit: 'guestTokensPerAddress' } } });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await guestFrom(controlPlane, '198.51.100.8')).status).toBe(201);
    });

    it('counts an address before its token is checked, and a player after', async () => {
      const controlPlane = await start({ rateLimits: { playerApiPerAddress: 4, playerApiPerPlayer: 3 } });
      const forged = (i: number) =>
        api(controlPlane.url, '/v1/sessions/s1', { token: `forged.${i}.token`, headers: { 'x-forwarded-for': '198.51.100.20' } });
      const forgedCodes = [];
      for (let i = 0; i < 6; i++) forgedCodes.push(code(await forged(i)));
      expect(forgedCodes).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED', 'RATE_LIMITED', 'RATE_LIMITED']);

      // One player hopping between addresses is still one player.
      const player = await guest(controlPlane);
      const hopping = [];
      for (let i = 0; i < 5; i++) {
        hopping.push(code(await api(controlPlane.url, '/v1/sessions/s1', { token: player.token, headers: { 'x-forwarded-for': `192.0.2.${i + 1}` } })));
      }
      expect(hopping).toEqual(['SESSION_NOT_FOUND', 'SESSION_NOT_FOUND', 'SESSION_NOT_FOUND', 'RATE_LIMITED', 'RATE_LIMITED']);
    });

    if (backend.name !== 'memory') {
      it('shares the counts between instances over one store', async () => {
        const store = backend.store();
        const [a, b] = [await start({ store, rateLimits: { guestTokensPerAddress: 4 } }), await start({ store, rateLimits: { guestTokensPerAddress: 4 } })];
        const statuses = [];
        for (const instance of [a, b, a, b, a, b]) statuses.push((await guestFrom(instance)).status);
        expect(statuses).toEqual([201, 201, 201, 201, 429, 429]);
      });
    }
  });

  describe('one placement or session per player', () => {
    it('gives a player who launches twice at once one slot, and the other request a clear code', async () => {
      const controlPlane = await start();
      const node = await liveNode(controlPlane, 4);
      const player = await guest(controlPlane);
      const attempts = await Promise.all([
        launch(controlPlane, player.token),
        launch(controlPlane, player.token),
        launch(controlPlane, player.token),
        offer(controlPlane, player.token),
        offer(controlPlane, player.token),
      ]);
      const granted = attempts.filter((attempt) => attempt.status === 201);
      expect(granted).toHaveLength(1);
      for (const refused of attempts.filter((attempt) => attempt.status !== 201)) {
        expect(refused.status).toBe(409);
        expect(['SESSION_IN_PROGRESS', 'PLACEMENT_IN_PROGRESS']).toContain(code(refused));
      }
      // At most the one slot the winner took (none if it was an offer, which reserves nothing).
      expect((await controlPlane.store.nodeSlots(node.nodeId)).free).toBeGreaterThanOrEqual(3);
    });

    it('keeps the player to one session until its node reports it ended, and leaves the other slots to other players', async () => {
      const controlPlane = await start();
      const node = await liveNode(controlPlane, 2);
      const hoarder = await guest(controlPlane);
      const session = (await launch(controlPlane, hoarder.token)).body as SessionCreated;
      expect(session.nodeId).toBe(node.nodeId);

      const second = await launch(controlPlane, hoarder.token);
      expect(second.status).toBe(409);
      expect(second.body).toMatchObject({ error: { code: 'SESSION_IN_PROGRESS', details: { sessionId: session.sessionId } } });
      expect(code(await offer(controlPlane, hoarder.token))).toBe('SESSION_IN_PROGRESS');
      expect((await node.reportStart(session.sessionId)).status).toBe(200);
      expect(code(await launch(controlPlane, hoarder.token))).toBe('SESSION_IN_PROGRESS');

      const other = await guest(controlPlane);
      expect((await launch(controlPlane, other.token)).status).toBe(201);

      expect((await node.reportEnd(session.sessionId)).status).toBe(200);
      expect((await launch(controlPlane, hoarder.token)).status).toBe(201);
    });

    it('lets a page that saw its node fail be placed elsewhere at once, naming the node', async () => {
      const controlPlane = await start();
      const failed = await liveNode(controlPlane, 1);
      const player = await guest(controlPlane);
      const session = (await launch(controlPlane, player.token)).body as SessionCreated;
      expect((await failed.reportStart(session.sessionId)).status).toBe(200);
      const other = await liveNode(controlPlane, 1);
      expect(code(await offer(controlPlane, player.token))).toBe('SESSION_IN_PROGRESS');
      const elsewhere = await api<PlacementOffer>(controlPlane.url, '/v1/placements', {
        body: { gameId: DEMO_GAME.id, location: BERLIN, excludeNodes: [failed.nodeId] },
        token: player.token,
      });
      expect(elsewhere.status).toBe(201);
      expect(elsewhere.body.candidates.map((candidate) => candidate.nodeId)).toEqual([other.nodeId]);
    });

    it('lets a player go again once their reservation lapsed unused or their node went away', async () => {
      const controlPlane = await start({ reservationTtlMs: 300 });
      await liveNode(controlPlane, 2);
      const player = await guest(controlPlane);
      expect((await launch(controlPlane, player.token)).status).toBe(201);
      expect(code(await launch(controlPlane, player.token))).toBe('SESSION_IN_PROGRESS');
      await pollUntil(() => launch(controlPlane, player.token), (response) => response.status === 201);

      const shortLived = await start({ nodeTtlMs: 400, heartbeatIntervalMs: 100 });
      const rig = await liveNode(shortLived, 1);
      const stranded = await guest(shortLived);
      const session = (await launch(shortLived, stranded.token)).body as SessionCreated;
      expect((await rig.reportStart(session.sessionId)).status).toBe(200);
      expect(code(await launch(shortLived, stranded.token))).toBe('SESSION_IN_PROGRESS');
      // The rig stops heartbeating; once it has lapsed, its session no longer holds the player (and another rig serves them).
      await pollUntil(async () => (await shortLived.store.getNode(rig.nodeId)) === null, (gone) => gone);
      await liveNode(shortLived, 1);
      expect((await launch(shortLived, stranded.token)).status).toBe(201);
    });
  });

  describe('requests out of bounds', () => {
    it('answers a 10 MB body with 413 PAYLOAD_TOO_LARGE', async () => {
      const controlPlane = await start();
      const player = await guest(controlPlane);
      const huge = JSON.stringify({ gameId: DEMO_GAME.id, padding: 'x'.repeat(10 * 1024 * 1024) });
      const response = await api(controlPlane.url, '/v1/sessions', { rawBody: huge, token: player.token });
      expect(response.status).toBe(413);
      expect(code(response)).toBe('PAYLOAD_TOO_LARGE');
    });

    it('refuses a node whose signalling URL is not http or https', async () => {
      const controlPlane = await start();
      for (const signallingUrl of ['javascript:alert(1)', 'data:text/html,hi', 'file:///etc/passwd', 'ftp://127.0.0.1/']) {
        const response = await new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { signallingUrl }).register();
        expect(response.status, signallingUrl).toBe(400);
        expect(code(response)).toBe('REGISTRATION_INVALID');
      }
      expect((await new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { signallingUrl: 'https://rig.example:8443/' }).register()).status).toBe(200);
    });
  });

  describe('GET /v1/nodes', () => {
    it('shows the public an H3 cell and room, and only the operator of a node its location, endpoint and accounting', async () => {
      const controlPlane = await start({ operatorTokens: ['operator-a-token', 'operator-b-token'] });
      const rig = new TestEdgeNode(controlPlane.url, 'operator-a-token', { location: { lat: 52.5163, lng: 13.3777 } });
      expect((await rig.register()).status).toBe(200);

      const publicView = (await api<NodeList>(controlPlane.url, '/v1/nodes')).body.nodes;
      expect(publicView).toEqual([{ nodeId: rig.nodeId, name: 'test-rig', cell: expect.stringMatching(/^83[0-9a-f]{13}$/), gpu: rig.registration.gpu, slots: 2, freeSlots: 2 }]);
      expect(JSON.stringify(publicView)).not.toContain('13.3777');

      const asOwner = (await api<NodeList>(controlPlane.url, '/v1/nodes', { token: 'operator-a-token' })).body.nodes;
      expect(asOwner).toEqual([
        expect.objectContaining({ nodeId: rig.nodeId, location: { lat: 52.5163, lng: 13.3777 }, signallingUrl: 'http://127.0.0.1:7000/', reservedSlots: 0, busySlots: 0 }),
      ]);
      expect((await api<NodeList>(controlPlane.url, '/v1/nodes', { token: 'operator-b-token' })).body.nodes).toEqual(publicView);
      expect((await api<NodeList>(controlPlane.url, '/v1/nodes', { token: controlPlane.adminToken })).body.nodes).toEqual(asOwner);
      expect(code(await api(controlPlane.url, '/v1/nodes', { token: 'not-a-token' }))).toBe('UNAUTHORIZED');
    });
  });
});
