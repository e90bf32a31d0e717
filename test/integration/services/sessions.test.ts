/** Players launching sessions and nodes reporting on them, over real HTTP, on each store backend. */
import { importJWK, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorResponse, GuestToken, NodeRegistered, SessionCreated, SessionView } from '../../../protocol/http.js';
import { TICKET_ISSUER } from '../../../protocol/ticket.js';
import { createControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../../services/app.js';
import { DEMO_GAME } from '../../../services/catalogue/catalogue.js';
import { useBackends } from './helpers/backends.js';
import { api } from './helpers/http.js';
import { expectSlotsBalanced } from './helpers/invariants.js';
import { pollUntil } from './helpers/poll.js';
import { TestEdgeNode } from './helpers/test-edge-node.js';

const backends = useBackends();

describe.each(backends)('sessions ($name store)', (backend) => {
  const controlPlanes: ControlPlane[] = [];

  async function start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const controlPlane = await createControlPlane({
      store: backend.store(),
      logger: { level: 'silent' },
      nodeTtlMs: 60_000,
      // The test nodes stand in Berlin, and so, by assumption, does a player on this machine.
      assumedLocationForLocalClients: { lat: 52.52, lng: 13.4 },
      ...options,
    });
    controlPlanes.push(controlPlane);
    return controlPlane;
  }

  async function guest(controlPlane: ControlPlane): Promise<GuestToken> {
    const { status, body } = await api<GuestToken>(controlPlane.url, '/v1/auth/guest', { method: 'POST' });
    expect(status).toBe(201);
    return body;
  }

  async function liveNode(controlPlane: ControlPlane, slots = 2, builds: string[] = []): Promise<TestEdgeNode & { registered: NodeRegistered }> {
    const node = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { slots, builds });
    const { status, body } = await node.register();
    expect(status).toBe(200);
    return Object.assign(node, { registered: body });
  }

  async function launch(controlPlane: ControlPlane, token: string, gameId = DEMO_GAME.id) {
    return api<SessionCreated | ErrorResponse>(controlPlane.url, '/v1/sessions', { body: { gameId }, token });
  }

  async function launched(controlPlane: ControlPlane, token: string): Promise<SessionCreated> {
    const { status, body } = await launch(controlPlane, token);
    expect(status).toBe(201);
    return body as SessionCreated;
  }

  afterEach(async () => {
    for (const controlPlane of controlPlanes.splice(0)) {
      await expectSlotsBalanced(controlPlane);
      await controlPlane.close();
    }
  });

  describe('launching', () => {
    let controlPlane: ControlPlane;
    let player: GuestToken;

    beforeEach(async () => {
      controlPlane = await start();
      player = await guest(controlPlane);
    });

    it('places the session on a live node and issues a ticket that verifies with the node\'s JWK', async () => {
      const node = await liveNode(controlPlane);
      const session = await launched(controlPlane, player.token);
      expect(session).toMatchObject({ nodeId: node.nodeId, signallingUrl: node.registration.signallingUrl, game: DEMO_GAME });

      const key = await importJWK(node.registered.ticketPublicJwk, 'EdDSA');
      const { payload, protectedHeader } = await jwtVerify(session.ticket, key, {
        issuer: TICKET_ISSUER,
        audience: node.nodeId,
        algorithms: ['EdDSA'],
      });
      expect(protectedHeader.alg).toBe('EdDSA');
      expect(payload).toMatchObject({
        sid: session.sessionId,
        jti: session.sessionId,
        sub: player.playerId,
        aud: node.nodeId,
        gameId: DEMO_GAME.id,
        buildId: DEMO_GAME.buildId,
      });
      expect(payload.exp).toBe(session.expiresAt / 1000);
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(30);

      await expect(jwtVerify(session.ticket, key, { issuer: TICKET_ISSUER, audience: 'nsomeothernode' })).rejects.toThrow();
      expect(await controlPlane.store.nodeSlots(node.nodeId)).toEqual({ capacity: 2, reserved: 1, busy: 0, free: 1 });
    });

    it('shows the session to its player only', async () => {
      await liveNode(controlPlane);
      const session = await launched(controlPlane, player.token);

      const own = await api<SessionView>(controlPlane.url, `/v1/sessions/${session.sessionId}`, { token: player.token });
      expect(own).toMatchObject({ status: 200, body: { sessionId: session.sessionId, playerId: player.playerId, state: 'reserved', gameId: DEMO_GAME.id } });

      const stranger = await guest(controlPlane);
      const theirs = await api<ErrorResponse>(controlPlane.url, `/v1/sessions/${session.sessionId}`, { token: stranger.token });
      expect(theirs.status).toBe(404);
      expect(theirs.body.error.code).toBe('SESSION_NOT_FOUND');

      const anonymous = await api<ErrorResponse>(controlPlane.url, `/v1/sessions/${session.sessionId}`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
    });

    it('requires a valid player token', async () => {
      await liveNode(controlPlane);
      for (const token of [undefined, 'garbage', controlPlane.operatorToken]) {
        const response = await api<ErrorResponse>(controlPlane.url, '/v1/sessions', { body: { gameId: DEMO_GAME.id }, ...(token === undefined ? {} : { token }) });
        expect(response.status).toBe(401);
        expect(response.body.error.code).toBe('UNAUTHORIZED');
      }
    });

    it('answers an unknown game with 404 GAME_NOT_FOUND', async () => {
      await liveNode(controlPlane);
      const response = await launch(controlPlane, player.token, 'no-such-game');
      expect(response.status).toBe(404);
      expect((response.body as ErrorResponse).error.code).toBe('GAME_NOT_FOUND');
    });

    it('answers a malformed request with 400 VALIDATION_FAILED', async () => {
      const response = await api<ErrorResponse>(controlPlane.url, '/v1/sessions', { body: { game: 'demo-arena' }, token: player.token });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('answers 400 LOCATION_UNKNOWN to a player on this machine when no location is assumed for them', async () => {
      const unassuming = await start({ assumedLocationForLocalClients: undefined });
      const stranger = await guest(unassuming);
      await liveNode(unassuming);
      const response = await launch(unassuming, stranger.token);
      expect(response.status).toBe(400);
      expect((response.body as ErrorResponse).error.code).toBe('LOCATION_UNKNOWN');
    });

    it('places on the nearest node by the distance estimate', async () => {
      const far = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { location: { lat: 40.42, lng: -3.7 } });
      const near = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken, { location: { lat: 52.4, lng: 13.1 } });
      await far.register();
      await near.register();
      expect((await launched(controlPlane, player.token)).nodeId).toBe(near.nodeId);
    });

    it('answers 503 NO_CAPACITY when no node is live', async () => {
      const response = await launch(controlPlane, player.token);
      expect(response.status).toBe(503);
      expect((response.body as ErrorResponse).error.code).toBe('NO_CAPACITY');
    });

    it('answers 503 NO_CAPACITY when every slot is taken, and never over-books', async () => {
      const node = await liveNode(controlPlane, 1);
      const players = await Promise.all(Array.from({ length: 8 }, () => guest(controlPlane)));
      const attempts = await Promise.all(players.map((each) => launch(controlPlane, each.token)));
      expect(attempts.filter((attempt) => attempt.status === 201)).toHaveLength(1);
      const refused = attempts.filter((attempt) => attempt.status === 503);
      expect(refused).toHaveLength(7);
      expect(refused.map((attempt) => (attempt.body as ErrorResponse).error.code)).toEqual(Array(7).fill('NO_CAPACITY'));
      expect(await controlPlane.store.nodeSlots(node.nodeId)).toEqual({ capacity: 1, reserved: 1, busy: 0, free: 0 });

      const metrics = await api<string>(controlPlane.url, '/metrics');
      expect(metrics.body).toMatch(/^edgeplay_sessions_created_total 1$/m);
      expect(metrics.body).toMatch(/^edgeplay_placements_failed_total 7$/m);
    });

    it('prefers a node that caches the build, then the one with most free slots', async () => {
      const caching = await liveNode(controlPlane, 1, [DEMO_GAME.buildId]);
      const roomy = await liveNode(controlPlane, 4);
      const first = await launched(controlPlane, player.token);
      const second = await launched(controlPlane, (await guest(controlPlane)).token);
      expect([first.nodeId, second.nodeId]).toEqual([caching.nodeId, roomy.nodeId]);
    });
  });

  describe('node reports', () => {
    let controlPlane: ControlPlane;
    let player: GuestToken;
    let node: TestEdgeNode;

    beforeEach(async () => {
      controlPlane = await start();
      player = await guest(controlPlane);
      node = await liveNode(controlPlane);
    });

    it('turns the reserved slot busy on start and frees it on end, recording usage', async () => {
      const session = await launched(controlPlane, player.token);

      const started = await node.reportStart(session.sessionId);
      expect(started).toMatchObject({ status: 200, body: { sessionId: session.sessionId, state: 'active' } });
      expect(await controlPlane.store.nodeSlots(node.nodeId)).toEqual({ capacity: 2, reserved: 0, busy: 1, free: 1 });
      expect((await node.reportStart(session.sessionId)).status).toBe(200);

      const report = node.endReport(session.sessionId, 'player_left');
      const ended = await node.reportEnd(session.sessionId, report);
      expect(ended).toMatchObject({ status: 200, body: { state: 'ended', endReason: 'player_left', endedAt: report.payload.endedAt } });
      expect(await controlPlane.store.nodeSlots(node.nodeId)).toEqual({ capacity: 2, reserved: 0, busy: 0, free: 2 });

      const record = await controlPlane.store.getSession(session.sessionId);
      expect(record?.usage).toEqual({
        startedAt: report.payload.startedAt,
        endedAt: report.payload.endedAt,
        framesSent: 3600,
        bytesSent: 9_000_000,
        width: 1280,
        height: 720,
      });

      const repeated = await node.reportEnd(session.sessionId, report);
      expect(repeated).toMatchObject({ status: 200, body: { state: 'ended', endReason: 'player_left' } });
      const restarted = await node.reportStart(session.sessionId);
      expect(restarted.status).toBe(409);
      expect((restarted.body as ErrorResponse).error.code).toBe('SESSION_ENDED');

      const view = await api<SessionView>(controlPlane.url, `/v1/sessions/${session.sessionId}`, { token: player.token });
      expect(view.body).toMatchObject({ state: 'ended', endReason: 'player_left' });
      const metrics = await api<string>(controlPlane.url, '/metrics');
      expect(metrics.body).toMatch(/^edgeplay_sessions_ended_total\{reason="player_left"\} 1$/m);
    });

    it('frees a reserved slot when the node reports the session ended before it started', async () => {
      const session = await launched(controlPlane, player.token);
      const ended = await node.reportEnd(session.sessionId, node.endReport(session.sessionId, 'ticket_unused'));
      expect(ended).toMatchObject({ status: 200, body: { state: 'ended', endReason: 'ticket_unused' } });
      expect(await controlPlane.store.nodeSlots(node.nodeId)).toEqual({ capacity: 2, reserved: 0, busy: 0, free: 2 });
    });

    it('refuses a report signed with another key with 401 SIGNATURE_INVALID', async () => {
      const session = await launched(controlPlane, player.token);
      const forger = new TestEdgeNode(controlPlane.url, controlPlane.operatorToken);
      forger.nodeId = node.nodeId;
      const response = await node.reportEnd(session.sessionId, forger.endReport(session.sessionId));
      expect(response.status).toBe(401);
      expect((response.body as ErrorResponse).error.code).toBe('SIGNATURE_INVALID');
      expect(await controlPlane.store.nodeSlots(node.nodeId)).toMatchObject({ reserved: 1 });
    });

    it('lets only the node a session was placed on report on it', async () => {
      const session = await launched(controlPlane, player.token);
      const other = await liveNode(controlPlane);
      const response = await other.reportEnd(session.sessionId);
      expect(response.status).toBe(404);
      expect((response.body as ErrorResponse).error.code).toBe('SESSION_NOT_FOUND');
      const unknown = await node.reportStart('sdoesnotexist');
      expect(unknown.status).toBe(404);
    });

    it('refuses a report whose payload names another session than the URL', async () => {
      const session = await launched(controlPlane, player.token);
      const report = node.endReport('sanother');
      const response = await node.reportEnd(session.sessionId, report);
      expect(response.status).toBe(400);
      expect((response.body as ErrorResponse).error.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('reservations', () => {
    it('lets an unused reservation expire, freeing the slot and ending the session', async () => {
      const controlPlane = await start({ reservationTtlMs: 300 });
      const player = await guest(controlPlane);
      const node = await liveNode(controlPlane, 1);
      const session = await launched(controlPlane, player.token);

      await pollUntil(() => controlPlane.store.nodeSlots(node.nodeId), (slots) => slots.free === 1);
      const view = await api<SessionView>(controlPlane.url, `/v1/sessions/${session.sessionId}`, { token: player.token });
      expect(view.body).toMatchObject({ state: 'ended', endReason: 'ticket_unused' });

      const late = await node.reportStart(session.sessionId);
      expect(late.status).toBe(409);
      expect((late.body as ErrorResponse).error.code).toBe('RESERVATION_EXPIRED');
      expect(await controlPlane.store.nodeSlots(node.nodeId)).toEqual({ capacity: 1, reserved: 0, busy: 0, free: 1 });
      expect((await launch(controlPlane, player.token)).status).toBe(201);
    });

    it('never lets the ticket outlive the reservation', async () => {
      const controlPlane = await start({ reservationTtlMs: 5_000, ticketTtlS: 30 });
      const player = await guest(controlPlane);
      await liveNode(controlPlane);
      const session = await launched(controlPlane, player.token);
      const record = await controlPlane.store.getSession(session.sessionId);
      expect(session.expiresAt).toBeLessThanOrEqual(record!.reservationExpiresAt);
    });
  });
});
