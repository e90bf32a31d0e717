/**
 * A session's life on the control plane: opened on a slot the matchmaker reserved, active when
 * its node reports the game started, ended when the node reports usage (or when the reservation
 * lapses unused).
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../protocol/errors.js';
import type { Game, SessionCreated, SessionEndReason, SessionEndPayload, SessionStartPayload, SessionView } from '../../protocol/http.js';
import type { PlayerUsageKey } from '../../protocol/metering.js';
import type { Logger } from '../logging/logger.js';
import type { MeteringService } from '../metering/metering-service.js';
import type { ControlPlaneMetrics } from '../metrics/metrics.js';
import type { Reservation, SessionRecord, Store } from '../store/store.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';
import { PlayerClaims } from './player-claims.js';

/** How long session records stay readable after they are written, ended or not. */
export const SESSION_RECORD_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Endings the control plane inferred rather than heard from the node (session-reconciler.ts): a
 * node that still runs the session, or reports its end late, overrules them.
 */
export const INFERRED_END_REASONS: ReadonlySet<SessionEndReason> = new Set(['node_lost', 'unreported', 'ticket_unused']);

export interface SessionServiceOptions {
  store: Store;
  tickets: TicketIssuer;
  metrics: ControlPlaneMetrics;
  log: Logger;
  ticketTtlS: number;
  /** Told of every session opened (the studios' recent sessions); must not throw. */
  onOpened?: (record: SessionRecord) => void;
  /** Binds sessions placed with a player usage key to it (services/metering). */
  metering?: MeteringService;
}

/** What the matchmaker hands over once it has reserved a slot. */
export interface PlacedSession {
  sessionId: string;
  playerId: string;
  game: Game;
  node: { nodeId: string; signallingUrl: string; pricePerHour?: number };
  reservation: Reservation;
  /** The page's per-session key; its usage record is signed with it. */
  usageKey?: PlayerUsageKey | undefined;
  /** A checker's synthetic session. */
  check?: boolean;
}

/** 122 random bits, from randomUUID: it draws on a buffer of entropy, where randomBytes per id cost 1.5% of a placement's CPU. */
export function newSessionId(): string {
  return `s${randomUUID().replaceAll('-', '')}`;
}

/** A running session holds its player until its node reports it ended (or it is found dead: PlayerClaims). */
const ACTIVE_SESSION_CLAIM_TTL_MS = SESSION_RECORD_TTL_MS;

export class SessionService {
  /** Which one placement or session each player holds. */
  readonly claims: PlayerClaims;
  readonly #options: SessionServiceOptions;
  readonly #log: Logger;

  constructor(options: SessionServiceOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'sessions' });
    this.claims = new PlayerClaims(options.store, (sessionId) => this.supersede(sessionId));
  }

  /** Records the session on its reserved slot and issues its ticket; the slot is freed if that fails. */
  async open({ sessionId, playerId, game, node, reservation, usageKey, check }: PlacedSession): Promise<SessionCreated> {
    const { store, tickets, metrics, ticketTtlS, metering } = this.#options;
    const createdAt = Date.now();
    // The ticket must not outlive the reservation: a node accepting it finds the slot still held.
    const expiresAt = Math.floor(Math.min(createdAt + ticketTtlS * 1000, reservation.expiresAt) / 1000) * 1000;
    try {
      const record: SessionRecord = {
        sessionId,
        nodeId: node.nodeId,
        playerId,
        gameId: game.id,
        buildId: game.buildId,
        state: 'reserved',
        createdAt,
        reservationExpiresAt: reservation.expiresAt,
      };
      await store.putSession(record, SESSION_RECORD_TTL_MS);
      this.#options.onOpened?.(record);
      if (usageKey !== undefined && metering !== undefined) {
        await metering.bind({ sessionId, nodeId: node.nodeId, playerId, usageKey, pricePerHour: node.pricePerHour ?? 0, game, check });
      }
      const ticket = tickets.issue({ sessionId, nodeId: node.nodeId, playerId, gameId: game.id, buildId: game.buildId, expiresAt });
      metrics.sessionsCreated.inc();
      this.#log.info({ sessionId, playerId, gameId: game.id, nodeId: node.nodeId }, 'session placed');
      return { sessionId, nodeId: node.nodeId, signallingUrl: node.signallingUrl, ticket, expiresAt, game };
    } catch (error) {
      await store.releaseSlot(node.nodeId, sessionId);
      throw error;
    }
  }

  /** The session as its player sees it; another player's session does not exist for them. */
  async view(playerId: string, sessionId: string): Promise<SessionView> {
    const record = await this.#options.store.getSession(sessionId);
    if (record === null || record.playerId !== playerId) throw new AppError('SESSION_NOT_FOUND');
    return toView(record);
  }

  async markStarted(nodeId: string, report: SessionStartPayload): Promise<SessionView> {
    const { store } = this.#options;
    const log = this.#log.child({ nodeId, sessionId: report.sessionId });
    const record = await this.#nodeSession(nodeId, report.sessionId);
    if (record.state === 'active') return toView(record);
    if (record.state === 'ended') throw new AppError('SESSION_ENDED');

    if (!(await store.activateSession(nodeId, report.sessionId))) {
      await store.transitionSession(report.sessionId, ['reserved'], {
        state: 'ended',
        endedAt: record.reservationExpiresAt,
        endReason: 'ticket_unused',
      });
      log.info('start reported after the reservation lapsed');
      throw new AppError('RESERVATION_EXPIRED');
    }
    const started = await store.transitionSession(report.sessionId, ['reserved'], { state: 'active', startedAt: report.startedAt });
    if (started === null) {
      // An end report overtook this start report: the session is over, so the slot must not stay busy.
      await store.releaseSlot(nodeId, report.sessionId);
      throw new AppError('SESSION_ENDED');
    }
    await this.claims.extend(record.playerId, report.sessionId, ACTIVE_SESSION_CLAIM_TTL_MS);
    log.info('session started');
    return toView(started);
  }

  /** Frees the slot and records usage. Repeating the report changes nothing. */
  async markEnded(nodeId: string, report: SessionEndPayload): Promise<SessionView> {
    const { store, metrics } = this.#options;
    const record = await this.#nodeSession(nodeId, report.sessionId);
    await store.releaseSlot(nodeId, report.sessionId);
    await this.claims.release(record.playerId, report.sessionId);
    const { startedAt, endedAt, framesSent, bytesSent, width, height } = report;
    const patch = {
      startedAt: record.startedAt ?? startedAt,
      endedAt,
      endReason: report.reason,
      usage: { startedAt, endedAt, framesSent, bytesSent, width, height },
    };
    const ended = await store.transitionSession(report.sessionId, ['reserved', 'active'], { state: 'ended', ...patch });
    if (ended === null) {
      const current = (await store.getSession(report.sessionId)) ?? record;
      // Reconciliation ended it before this report came (the node was cut off, say): the node's own account stands.
      const inferred = current.state === 'ended' && current.usage === undefined && current.endReason !== undefined && INFERRED_END_REASONS.has(current.endReason);
      // A superseded session keeps its reason, but the node streamed until told to stop: its usage counts.
      const superseded = current.state === 'ended' && current.usage === undefined && current.endReason === 'superseded';
      const corrected = inferred || superseded ? await store.transitionSession(report.sessionId, ['ended'], superseded ? { ...patch, endReason: 'superseded' } : patch) : null;
      return toView(corrected ?? current);
    }
    metrics.sessionsEnded.inc({ reason: report.reason });
    this.#log.info({ nodeId, sessionId: report.sessionId, reason: report.reason, seconds: Math.max(0, (endedAt - startedAt) / 1000) }, 'session ended');
    return toView(ended);
  }

  /**
   * The player gave up a session before joining it: its reserved slot is free at once. A session
   * already started is left to end on the node (its ticket still admits the player until it
   * expires; if they join after all, the node's heartbeats count the slot busy again).
   */
  async giveUpUnjoined(nodeId: string, sessionId: string): Promise<void> {
    const { store } = this.#options;
    const ended = await store.transitionSession(sessionId, ['reserved'], { state: 'ended', endedAt: Date.now(), endReason: 'ticket_unused' });
    if (ended === null) return;
    await store.releaseSlot(nodeId, sessionId);
    this.#log.info({ nodeId, sessionId }, 'session given up before it was joined; slot freed');
  }

  /**
   * Ends a session its player left to be placed elsewhere, and frees its slot: if its node still
   * runs it, reconciliation refuses to take it back and tells the node to end it. Ending a record
   * already ended changes nothing.
   */
  async supersede(sessionId: string): Promise<void> {
    const { store, metrics } = this.#options;
    const ended = await store.transitionSession(sessionId, ['reserved', 'active'], { state: 'ended', endedAt: Date.now(), endReason: 'superseded' });
    if (ended === null) return;
    await store.releaseSlot(ended.nodeId, sessionId);
    metrics.sessionsEnded.inc({ reason: 'superseded' });
    this.#log.info({ nodeId: ended.nodeId, sessionId, playerId: ended.playerId }, 'session superseded: its player is being placed elsewhere');
  }

  /** Only the node a session was placed on may report on it. */
  async #nodeSession(nodeId: string, sessionId: string): Promise<SessionRecord> {
    const record = await this.#options.store.getSession(sessionId);
    if (record === null || record.nodeId !== nodeId) throw new AppError('SESSION_NOT_FOUND');
    return record;
  }
}

/** A reservation nobody used is over even before any node reports it. */
function toView(record: SessionRecord): SessionView {
  const lapsed = record.state === 'reserved' && record.reservationExpiresAt <= Date.now();
  const view: SessionView = {
    sessionId: record.sessionId,
    nodeId: record.nodeId,
    playerId: record.playerId,
    gameId: record.gameId,
    state: lapsed ? 'ended' : record.state,
    createdAt: record.createdAt,
  };
  if (lapsed) {
    view.endedAt = record.reservationExpiresAt;
    view.endReason = 'ticket_unused';
  } else {
    if (record.endedAt !== undefined) view.endedAt = record.endedAt;
    if (record.endReason !== undefined) view.endReason = record.endReason;
  }
  return view;
}
