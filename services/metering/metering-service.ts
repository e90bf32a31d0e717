/**
 * Usage metering: binds each session to its player's key when it is placed, appends both sides'
 * signed usage records to the ledger, and settles them into operators' earnings on demand (the
 * settlement is derived from the records, so it is never out of step with them).
 */
import { AppError } from '../../protocol/errors.js';
import type { SignedSessionEnd } from '../../protocol/http.js';
import type { EarningsStatement, PlayerUsageKey, SessionSettlement, SignedPlayerUsage, UsageAccepted } from '../../protocol/metering.js';
import type { Logger } from '../logging/logger.js';
import type { ControlPlaneMetrics } from '../metrics/metrics.js';
import type { Store } from '../store/store.js';
import type { Ledger, SessionBinding } from './ledger.js';
import { verifyPlayerUsage } from './player-signature.js';
import { settle } from './settlement.js';

export interface MeteringServiceOptions {
  ledger: Ledger;
  store: Store;
  metrics: ControlPlaneMetrics;
  log: Logger;
}

/** What placement knows about a session when it binds it. */
export interface SessionToBind {
  sessionId: string;
  nodeId: string;
  playerId: string;
  usageKey: PlayerUsageKey;
  pricePerHour: number;
  game: { manifest: { fps: number; width: number; height: number } };
  check?: boolean;
}

export class MeteringService {
  readonly #options: MeteringServiceOptions;
  readonly #log: Logger;
  readonly #playerUsageListeners: ((nodeId: string) => void)[] = [];

  constructor(options: MeteringServiceOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'metering' });
  }

  get ledger(): Ledger {
    return this.#options.ledger;
  }

  /** Called when a player's record arrives (verification compares players with checks). */
  onPlayerUsage(listener: (nodeId: string) => void): void {
    this.#playerUsageListeners.push(listener);
  }

  async bind(session: SessionToBind): Promise<void> {
    const { manifest } = session.game;
    const binding: SessionBinding = {
      sessionId: session.sessionId,
      nodeId: session.nodeId,
      playerId: session.playerId,
      usageKey: { kty: session.usageKey.kty, crv: session.usageKey.crv, x: session.usageKey.x, y: session.usageKey.y },
      pricePerHour: session.pricePerHour,
      targetFps: manifest.fps,
      width: manifest.width,
      height: manifest.height,
      createdAt: Date.now(),
      check: session.check ?? false,
    };
    await this.#options.ledger.bind(binding);
  }

  /** The node's signed end report, already authenticated, becomes its usage record. */
  async recordNodeUsage(nodeId: string, report: SignedSessionEnd): Promise<void> {
    const node = await this.#options.store.getNode(nodeId);
    if (node === null) throw new AppError('NODE_NOT_FOUND');
    const outcome = await this.#options.ledger.appendNodeUsage(report.payload.sessionId, { operatorId: node.operatorId, record: report, receivedAt: Date.now() });
    const log = this.#log.child({ nodeId, sessionId: report.payload.sessionId });
    if (outcome === 'conflict') {
      // The first report stands; a node changing its story afterwards is worth a look.
      log.warn('node sent a different usage record for a session it already reported');
      throw new AppError('USAGE_RECORD_CONFLICT');
    }
    log.info({ outcome }, 'node usage recorded');
    await this.#indexIfFlagged(report.payload.sessionId);
  }

  async recordPlayerUsage(playerId: string, sessionId: string, usage: SignedPlayerUsage): Promise<UsageAccepted> {
    const { ledger } = this.#options;
    const { binding } = await ledger.session(sessionId);
    if (binding === null) throw new AppError('USAGE_KEY_MISSING');
    if (binding.playerId !== playerId) throw new AppError('SESSION_NOT_FOUND');
    const { payload } = usage;
    if (payload.sessionId !== sessionId || payload.nodeId !== binding.nodeId) {
      throw new AppError('VALIDATION_FAILED', `The usage record names session ${payload.sessionId} on node ${payload.nodeId}; this session is ${sessionId} on ${binding.nodeId}.`);
    }
    const log = this.#log.child({ sessionId, nodeId: binding.nodeId });
    if (!verifyPlayerUsage(payload, usage.signature, binding.usageKey)) {
      log.warn('player usage record signature does not verify');
      throw new AppError('USAGE_SIGNATURE_INVALID');
    }
    const outcome = await ledger.appendPlayerUsage(sessionId, { record: usage, receivedAt: Date.now() });
    if (outcome === 'conflict') throw new AppError('USAGE_RECORD_CONFLICT');
    await this.#indexIfFlagged(sessionId);
    log.info({ outcome, seconds: payload.secondsWatched, fps: payload.fps, latencyP50Ms: payload.latencyP50Ms }, 'player usage recorded');
    if (outcome === 'appended' && payload.latencyP50Ms !== null) this.#options.metrics.observePlayerReport({ inputToFrameMs: [payload.latencyP50Ms] });
    if (outcome === 'appended') for (const listener of this.#playerUsageListeners) listener(binding.nodeId);
    return { sessionId, outcome };
  }

  /**
   * Whichever record completes a disagreeing pair puts the session on the admin's list. Repeats
   * (a duplicate record) index again, so a crash between the append and the index heals on retry.
   */
  async #indexIfFlagged(sessionId: string): Promise<void> {
    const settlement = await this.settlement(sessionId);
    if (settlement === null || (settlement.status !== 'flagged' && settlement.status !== 'resolved')) return;
    await this.#options.ledger.indexFlagged(sessionId, settlement.endedAt);
    if (settlement.status === 'flagged') this.#log.warn({ sessionId, nodeId: settlement.nodeId, reasons: settlement.reasons }, 'usage records disagree: flagged for resolution');
  }

  async settlement(sessionId: string): Promise<SessionSettlement | null> {
    return settle(sessionId, await this.#options.ledger.session(sessionId));
  }

  async statement(operatorId: string, from: number, to: number): Promise<EarningsStatement> {
    const ids = await this.#options.ledger.operatorSessions(operatorId, from, to);
    const settlements = (await Promise.all(ids.map((id) => this.settlement(id)))).filter((s): s is SessionSettlement => s !== null);
    const sum = (pick: (s: SessionSettlement) => number): number => settlements.reduce((total, s) => total + pick(s), 0);
    return {
      operatorId,
      from,
      to,
      sessions: settlements.length,
      creditedSeconds: Math.round(sum((s) => s.creditedSeconds) * 1000) / 1000,
      amount: Math.round(sum((s) => s.amount) * 1e6) / 1e6,
      flagged: settlements.filter((s) => s.status === 'flagged').length,
      resolved: settlements.filter((s) => s.status === 'resolved').length,
      unconfirmed: settlements.filter((s) => s.status === 'unconfirmed').length,
      settlements,
    };
  }
}
