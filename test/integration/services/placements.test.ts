/** Players placed by measured RTT, refused with coded answers, and queued, over real HTTP on each store backend. */
import { importJWK, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorResponse, GeoPoint, NodeRegistration } from '../../../protocol/http.js';
import { MAX_RTT_MS, PROBE_TOKEN_ISSUER, type PlacementResult } from '../../../protocol/placement.js';
import { TICKET_ISSUER } from '../../../protocol/ticket.js';
import { createControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../../services/app.js';
import { DEMO_GAME } from '../../../services/catalogue/catalogue.js';
import { distanceKm } from '../../../services/matchmaker/great-circle.js';
import { estimateRttMs } from '../../../services/matchmaker/latency-estimate.js';
import { useBackends } from './helpers/backends.js';
import { api } from './helpers/http.js';
import { expectSlotsBalanced } from './helpers/invariants.js';
import { BERLIN, errorCode, TestPlayer } from './helpers/players.js';
import { pollUntil } from './helpers/poll.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const backends = useBackends();

const POTSDAM: GeoPoint = { lat: 52.39, lng: 13.064 };
const HAMBURG: GeoPoint = { lat: 53.551, lng: 9.994 };
const LONDON: GeoPoint = { lat: 51.507, lng: -0.128 };
const SYDNEY: GeoPoint = { lat: -33.87, lng: 151.21 };

type Placed = Extract<PlacementResult, { state: 'placed' }>;
type Queued = Extract<PlacementResult, { state: 'queued' }>;

describe.each(backends)('placements ($name store)', (backend) => {
  const controlPlanes: ControlPlane[] = [];
  let controlPlane: ControlPlane;
  let nodePort = 7100;

  async function start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const started = await createControlPlane({ store: backend.store(), logger: { level: 'silent' }, nodeTtlMs: 60_000, ...options });
    controlPlanes.push(started);
    return started;
  }

  async function liveNode(location: GeoPoint, overrides: Partial<NodeRegistration> = {}, on: ControlPlane = controlPlane) {
    const node = new TestEdgeNode(on.url, on.operatorToken, { location, signallingUrl: `http://127.0.0.1:${nodePort++}/`, ...overrides });
    const { status, body } = await node.register();
    expect(status).toBe(200);
    return Object.assign(node, { registered: body });
  }

  const join = (on: ControlPlane = controlPlane) => TestPlayer.join(on.url);

  beforeEach(async () => {
    controlPlane = await start();
  });

  afterEach(async () => {
    for (const started of controlPlanes.splice(0)) {
      await expectSlotsBalanced(started);
      await started.close();
    }
  });

  describe('placing', () => {
    it('offers the nearest nodes with probe endpoints and a probe token, and places the player on the one they measured fastest', async () => {
      const hamburg = await liveNode(HAMBURG);
      const potsdam = await liveNode(POTSDAM);
      const berlin = await liveNode(BERLIN);
      const player = await join();

      const offer = await player.offer(BERLIN);
      expect(offer.candidates.map((candidate) => candidate.nodeId)).toEqual([berlin.nodeId, potsdam.nodeId, hamburg.nodeId]);
      expect(offer.candidates[1]).toEqual({
        nodeId: potsdam.nodeId,
        probeUrl: `${potsdam.registration.signallingUrl}probe`,
        distanceKm: expect.closeTo(distanceKm(BERLIN, POTSDAM), 0),
        estimatedRttMs: expect.closeTo(estimateRttMs(distanceKm(BERLIN, POTSDAM)), 0),
      });
      const estimates = offer.candidates.map((candidate) => candidate.estimatedRttMs);
      expect([...estimates].sort((a, b) => a - b)).toEqual(estimates);
      expect(offer.probesPerCandidate).toBeGreaterThan(0);
      expect(offer.expiresAt).toBeGreaterThan(Date.now());

      const key = await importJWK(berlin.registered.ticketPublicJwk, 'EdDSA');
      for (const { nodeId } of offer.candidates) {
        const { payload } = await jwtVerify(offer.probeToken, key, { issuer: PROBE_TOKEN_ISSUER, audience: nodeId, algorithms: ['EdDSA'] });
        expect(payload).toMatchObject({ sub: player.playerId, pid: offer.placementId });
      }

      const choice = await player.choose(offer.placementId, [
        { nodeId: berlin.nodeId, rttMs: 35 },
        { nodeId: potsdam.nodeId, rttMs: 12 },
        { nodeId: hamburg.nodeId, rttMs: null },
      ]);
      expect(choice.status).toBe(200);
      const { session } = choice.body as Placed;
      expect(session).toMatchObject({ nodeId: potsdam.nodeId, signallingUrl: potsdam.registration.signallingUrl, game: DEMO_GAME });
      const { payload } = await jwtVerify(session.ticket, key, { issuer: TICKET_ISSUER, audience: potsdam.nodeId, algorithms: ['EdDSA'] });
      expect(payload).toMatchObject({ sid: session.sessionId, sub: player.playerId, gameId: DEMO_GAME.id });
      expect(await controlPlane.store.nodeSlots(potsdam.nodeId)).toEqual({ capacity: 2, reserved: 1, busy: 0, free: 1 });

      expect((await player.poll(offer.placementId)).body).toEqual({ state: 'placed', session });
      expect((await player.choose(offer.placementId, [])).body).toEqual({ state: 'placed', session });
      expect(await controlPlane.store.nodeSlots(potsdam.nodeId)).toMatchObject({ reserved: 1 });
      // The session now holds the player: one at a time.
      const again = await player.requestOffer(BERLIN);
      expect(again.status).toBe(409);
      expect((again.body as ErrorResponse).error).toMatchObject({ code: 'SESSION_IN_PROGRESS', details: { sessionId: session.sessionId } });
    });

    it('judges a node every probe to failed by its distance estimate', async () => {
      await liveNode(HAMBURG);
      const berlin = await liveNode(BERLIN);
      const { result } = await (await join()).place();
      expect((result as Placed).session.nodeId).toBe(berlin.nodeId);
    });

    it('between equally fast nodes, prefers the one that has the build cached', async () => {
      const cold = await liveNode(BERLIN);
      const warm = await liveNode(POTSDAM, { builds: [DEMO_GAME.buildId] });
      const { result } = await (await join()).place({ [cold.nodeId]: 14, [warm.nodeId]: 14 });
      expect((result as Placed).session.nodeId).toBe(warm.nodeId);
    });

    it('gives up an offer on DELETE, after which the player may ask again', async () => {
      await liveNode(BERLIN);
      const player = await join();
      const offer = await player.offer();
      expect((await player.cancel(offer.placementId)).status).toBe(204);
      expect((await player.cancel(offer.placementId)).status).toBe(204);
      expect(errorCode(await player.poll(offer.placementId))).toBe('PLACEMENT_NOT_FOUND');
      expect(errorCode(await player.choose(offer.placementId, []))).toBe('PLACEMENT_NOT_FOUND');
      await player.offer();
    });

    it('lets a silent node leave placement within one expiry period, releasing its reservations', async () => {
      const shortLived = await start({ nodeTtlMs: 800 });
      const silent = await liveNode(BERLIN, { slots: 1 }, shortLived);
      const steady = await liveNode(HAMBURG, {}, shortLived);
      const { result } = await (await join(shortLived)).place({ [silent.nodeId]: 5 });
      expect((result as Placed).session.nodeId).toBe(silent.nodeId);

      await pollUntil(
        async () => {
          expect((await steady.sendHeartbeat()).status).toBe(200);
          return shortLived.store.getNode(silent.nodeId);
        },
        (node) => node === null,
      );
      expect(await shortLived.store.nodeSlots(silent.nodeId)).toEqual({ capacity: 0, reserved: 0, busy: 0, free: 0 });
      const offer = await (await join(shortLived)).offer();
      expect(offer.candidates.map((candidate) => candidate.nodeId)).toEqual([steady.nodeId]);

      expect((await silent.register()).status).toBe(200);
      expect(await shortLived.store.nodeSlots(silent.nodeId)).toEqual({ capacity: 1, reserved: 0, busy: 0, free: 1 });
    });
  });

  describe('bad input', () => {
    it('answers malformed coordinates with 400 VALIDATION_FAILED', async () => {
      const player = await join();
      const bodies = [
        { gameId: DEMO_GAME.id, location: { lat: 91, lng: 0 } },
        { gameId: DEMO_GAME.id, location: { lat: 0, lng: -180.5 } },
        { gameId: DEMO_GAME.id, location: { lat: '52.5', lng: 13.4 } },
        { gameId: DEMO_GAME.id, location: { lat: 52.5 } },
        { gameId: DEMO_GAME.id, location: { lat: 52.5, lng: 13.4, alt: 30 } },
        { gameId: DEMO_GAME.id, location: null },
      ];
      for (const body of bodies) {
        const response = await api(controlPlane.url, '/v1/placements', { body, token: player.guest.token });
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(errorCode(response)).toBe('VALIDATION_FAILED');
      }
      const overflow = await api(controlPlane.url, '/v1/placements', { rawBody: `{"gameId":"demo-arena","location":{"lat":1e400,"lng":0}}`, token: player.guest.token });
      expect(errorCode(overflow)).toBe('VALIDATION_FAILED');
    });

    it('answers 400 LOCATION_UNKNOWN when the address says nothing about where the player is', async () => {
      await liveNode(BERLIN);
      const player = await join();
      expect(errorCode(await player.requestOffer(null))).toBe('LOCATION_UNKNOWN');

      const behindProxy = await start({ trustProxy: true });
      const london = await liveNode(LONDON, {}, behindProxy);
      await liveNode(BERLIN, {}, behindProxy);
      const proxied = await join(behindProxy);
      for (const address of ['10.1.2.3', '192.168.0.7', '127.0.0.1', 'fd00::5']) {
        const response = await proxied.requestOffer(null, { 'x-forwarded-for': address });
        expect(response.status, address).toBe(400);
        expect(errorCode(response)).toBe('LOCATION_UNKNOWN');
      }
      const fromEngland = await proxied.requestOffer(null, { 'x-forwarded-for': '81.2.69.142' });
      expect(fromEngland.status).toBe(201);
      expect((fromEngland.body as { candidates: { nodeId: string }[] }).candidates[0]?.nodeId).toBe(london.nodeId);
    });

    it('places a loopback player at the assumed location when one is set', async () => {
      const local = await start({ assumedLocationForLocalClients: HAMBURG });
      await liveNode(BERLIN, {}, local);
      const hamburg = await liveNode(HAMBURG, {}, local);
      const response = await (await join(local)).requestOffer(null);
      expect((response.body as { candidates: { nodeId: string }[] }).candidates[0]?.nodeId).toBe(hamburg.nodeId);
    });

    it('answers an unknown game with 404 GAME_NOT_FOUND, and no node at all with 503 NO_CAPACITY', async () => {
      const player = await join();
      const unknownGame = await api(controlPlane.url, '/v1/placements', { body: { gameId: 'no-such-game', location: BERLIN }, token: player.guest.token });
      expect(unknownGame.status).toBe(404);
      expect(errorCode(unknownGame)).toBe('GAME_NOT_FOUND');
      const empty = await player.requestOffer();
      expect(empty.status).toBe(503);
      expect(errorCode(empty)).toBe('NO_CAPACITY');
      await liveNode(SYDNEY);
      await player.offer();
    });

    it('refuses RTTs for nodes not offered and impossible RTTs, and leaves the offer usable', async () => {
      const berlin = await liveNode(BERLIN);
      const elsewhere = await liveNode(SYDNEY);
      const player = await join();
      const offer = await player.offer();
      expect(offer.candidates.map((candidate) => candidate.nodeId)).toContain(elsewhere.nodeId);
      const notOffered = [{ nodeId: 'nneveroffered', rttMs: 5 }];
      const cases: [unknown[], string][] = [
        [notOffered, 'RTT_FOR_UNOFFERED_NODE'],
        [[{ nodeId: berlin.nodeId, rttMs: -1 }], 'RTT_OUT_OF_RANGE'],
        [[{ nodeId: berlin.nodeId, rttMs: MAX_RTT_MS + 1 }], 'RTT_OUT_OF_RANGE'],
        [[{ nodeId: berlin.nodeId, rttMs: 10 }, { nodeId: berlin.nodeId, rttMs: 12 }], 'VALIDATION_FAILED'],
        [[{ nodeId: berlin.nodeId, rttMs: '10' }], 'VALIDATION_FAILED'],
        [[{ nodeId: berlin.nodeId }], 'VALIDATION_FAILED'],
        [Array.from({ length: 33 }, () => ({ nodeId: berlin.nodeId, rttMs: 1 })), 'VALIDATION_FAILED'],
      ];
      for (const [measurements, code] of cases) {
        const response = await api(controlPlane.url, `/v1/placements/${offer.placementId}/choice`, { body: { measurements }, token: player.guest.token });
        expect(errorCode(response), JSON.stringify(measurements)).toBe(code);
      }
      // JSON has no infinity, but 1e400 parses to one; the schema refuses numbers that are not finite.
      const infinite = await api(controlPlane.url, `/v1/placements/${offer.placementId}/choice`, {
        rawBody: `{"measurements":[{"nodeId":"${berlin.nodeId}","rttMs":1e400}]}`,
        token: player.guest.token,
      });
      expect(errorCode(infinite)).toBe('VALIDATION_FAILED');
      expect(await controlPlane.store.nodeSlots(berlin.nodeId)).toMatchObject({ reserved: 0 });

      const choice = await player.choose(offer.placementId, [{ nodeId: berlin.nodeId, rttMs: 0 }]);
      expect((choice.body as Placed).session.nodeId).toBe(berlin.nodeId);
      expect(await controlPlane.store.nodeSlots(berlin.nodeId)).toMatchObject({ reserved: 1 });
    });

    it('keeps each player\'s placements to themselves', async () => {
      await liveNode(BERLIN);
      const owner = await join();
      const stranger = await join();
      const offer = await owner.offer();
      for (const response of [await stranger.poll(offer.placementId), await stranger.choose(offer.placementId, []), await stranger.cancel(offer.placementId)]) {
        expect(response.status).toBe(404);
        expect(errorCode(response)).toBe('PLACEMENT_NOT_FOUND');
      }
      expect(errorCode(await owner.poll('plnosuchplacement'))).toBe('PLACEMENT_NOT_FOUND');
      expect(errorCode(await owner.poll('not%20an%20id'))).toBe('VALIDATION_FAILED');
      const anonymous = await api(controlPlane.url, `/v1/placements/${offer.placementId}`);
      expect(errorCode(anonymous)).toBe('UNAUTHORIZED');
      expect((await owner.choose(offer.placementId, [])).status).toBe(200);
    });

    it('answers a choice on an expired offer with 410 PLACEMENT_EXPIRED, and lets the player ask again', async () => {
      // The test polls far faster than a page would, past the per-player rate limit.
      const hasty = await start({ placementOfferTtlMs: 200, rateLimits: false });
      const node = await liveNode(BERLIN, {}, hasty);
      const player = await join(hasty);
      const offer = await player.offer();
      expect(errorCode(await player.poll(offer.placementId))).toBe('PLACEMENT_IN_PROGRESS');
      await pollUntil(() => player.poll(offer.placementId), (response) => errorCode(response) === 'PLACEMENT_EXPIRED');
      const late = await player.choose(offer.placementId, [{ nodeId: node.nodeId, rttMs: 5 }]);
      expect(late.status).toBe(410);
      expect(errorCode(late)).toBe('PLACEMENT_EXPIRED');
      expect(await hasty.store.nodeSlots(node.nodeId)).toMatchObject({ reserved: 0 });
      await pollUntil(() => player.requestOffer(), (response) => response.status === 201);
    });

    it('answers a player asking twice at once with 409 PLACEMENT_IN_PROGRESS', async () => {
      const node = await liveNode(BERLIN);
      const player = await join();
      const offers = await Promise.all(Array.from({ length: 6 }, () => player.requestOffer()));
      const created = offers.filter((response) => response.status === 201);
      expect(created).toHaveLength(1);
      const { placementId } = created[0]!.body as { placementId: string };
      for (const refused of offers.filter((response) => response.status !== 201)) {
        expect(refused.status).toBe(409);
        expect(refused.body).toMatchObject({ error: { code: 'PLACEMENT_IN_PROGRESS', details: { placementId } } });
      }

      const choices = await Promise.all(Array.from({ length: 6 }, () => player.choose(placementId, [{ nodeId: node.nodeId, rttMs: 8 }])));
      const placed = choices.filter((response) => response.status === 200).map((response) => (response.body as Placed).session.sessionId);
      expect(placed.length).toBeGreaterThanOrEqual(1);
      expect(new Set(placed).size).toBe(1);
      for (const refused of choices.filter((response) => response.status !== 200)) expect(errorCode(refused)).toBe('PLACEMENT_IN_PROGRESS');
      expect(await controlPlane.store.nodeSlots(node.nodeId)).toMatchObject({ reserved: 1 });
    });
  });

  describe('queue', () => {
    async function queueFor(player: TestPlayer, node: TestEdgeNode, rttMs = 10): Promise<{ placementId: string; queued: Queued }> {
      const { offer, result } = await player.place({ [node.nodeId]: rttMs });
      expect(result.state).toBe('queued');
      return { placementId: offer.placementId, queued: result as Queued };
    }

    async function positions(waiting: { player: TestPlayer; placementId: string }[]): Promise<number[]> {
      return Promise.all(waiting.map(async ({ player, placementId }) => ((await player.poll(placementId)).body as Queued).position));
    }

    it('queues players while every node is full, in arrival order, and places the head once a session ends', async () => {
      const node = await liveNode(BERLIN, { slots: 1 });
      const first = await (await join()).place({ [node.nodeId]: 10 });
      const session = (first.result as Placed).session;

      const waiting: { player: TestPlayer; placementId: string }[] = [];
      for (let i = 0; i < 4; i++) {
        const player = await join();
        const { placementId, queued } = await queueFor(player, node);
        expect(queued).toMatchObject({ state: 'queued', position: i + 1, latencyBoundMs: 40 });
        expect(queued.estimatedWaitS).toBeGreaterThan(0);
        expect(queued.retryAfterMs).toBeGreaterThan(0);
        waiting.push({ player, placementId });
      }
      expect(await positions(waiting)).toEqual([1, 2, 3, 4]);

      expect((await node.reportStart(session.sessionId)).status).toBe(200);
      expect((await node.reportEnd(session.sessionId)).status).toBe(200);
      expect(await positions(waiting.slice(1))).toEqual([2, 3, 4]);

      const head = await waiting[0]!.player.poll(waiting[0]!.placementId);
      expect(head.body).toMatchObject({ state: 'placed', session: { nodeId: node.nodeId } });
      expect(await positions(waiting.slice(1))).toEqual([1, 2, 3]);
      expect(await controlPlane.store.nodeSlots(node.nodeId)).toEqual({ capacity: 1, reserved: 1, busy: 0, free: 0 });
    });

    it('fills several freed slots from the head of the queue, whoever polls first', async () => {
      const node = await liveNode(BERLIN, { slots: 3 });
      const sessions: Placed['session'][] = [];
      for (let i = 0; i < 3; i++) sessions.push(((await (await join()).place({ [node.nodeId]: 10 })).result as Placed).session);
      const waiting: { player: TestPlayer; placementId: string }[] = [];
      for (let i = 0; i < 5; i++) {
        const player = await join();
        waiting.push({ player, placementId: (await queueFor(player, node)).placementId });
      }
      for (const session of sessions) expect((await node.reportEnd(session.sessionId)).status).toBe(200);

      const states: string[] = [];
      for (const { player, placementId } of [...waiting].reverse()) states.push(((await player.poll(placementId)).body as PlacementResult).state);
      expect(states).toEqual(['queued', 'queued', 'placed', 'placed', 'placed']);
      expect(await positions(waiting.slice(3))).toEqual([1, 2]);
      expect(await controlPlane.store.nodeSlots(node.nodeId)).toEqual({ capacity: 3, reserved: 3, busy: 0, free: 0 });
    });

    it('does not let a newcomer overtake a player already waiting', async () => {
      const node = await liveNode(BERLIN, { slots: 1 });
      const { session } = (await (await join()).place({ [node.nodeId]: 10 })).result as Placed;
      const patient = await join();
      const waiting = await queueFor(patient, node);
      await node.reportEnd(session.sessionId);

      const newcomer = await queueFor(await join(), node);
      expect(newcomer.queued.position).toBe(2);
      expect((await patient.poll(waiting.placementId)).body).toMatchObject({ state: 'placed' });
    });

    it('lets a player leave the queue, moving those behind up', async () => {
      const node = await liveNode(BERLIN, { slots: 1 });
      await (await join()).place({ [node.nodeId]: 10 });
      const leaving = await join();
      const staying = await join();
      const left = await queueFor(leaving, node);
      const stays = await queueFor(staying, node);
      expect((await leaving.cancel(left.placementId)).status).toBe(204);
      expect(await positions([{ player: staying, placementId: stays.placementId }])).toEqual([1]);
      expect(errorCode(await leaving.poll(left.placementId))).toBe('PLACEMENT_NOT_FOUND');
      await leaving.offer();
    });

    it('drops a queued player who stops polling', async () => {
      const forgetful = await start({ queue: { entryTtlMs: 300 } });
      const node = await liveNode(BERLIN, { slots: 1 }, forgetful);
      await (await join(forgetful)).place({ [node.nodeId]: 10 });
      const gone = await join(forgetful);
      const left = await queueFor(gone, node);
      const polling = await join(forgetful);
      const stays = await queueFor(polling, node);
      await pollUntil(() => positions([{ player: polling, placementId: stays.placementId }]), ([position]) => position === 1);
      expect(errorCode(await gone.poll(left.placementId))).toBe('PLACEMENT_EXPIRED');
      await gone.offer();
    });

    it('queues a player whose nodes are all beyond the latency bound, and places them as the bound relaxes', async () => {
      const patient = await start({ queue: { latencySteps: [{ afterMs: 0, boundMs: 40 }, { afterMs: 300, boundMs: 90 }, { afterMs: 600, boundMs: MAX_RTT_MS }] } });
      const sydney = await liveNode(SYDNEY, {}, patient);
      const player = await join(patient);
      const { offer, result } = await player.place({ [sydney.nodeId]: 240 });
      expect(result).toMatchObject({ state: 'queued', position: 1, latencyBoundMs: 40 });
      expect(await patient.store.nodeSlots(sydney.nodeId)).toMatchObject({ reserved: 0 });

      const placed = await pollUntil(() => player.poll(offer.placementId), (response) => (response.body as PlacementResult).state === 'placed');
      expect((placed.body as Placed).session.nodeId).toBe(sydney.nodeId);
    });
  });
});
