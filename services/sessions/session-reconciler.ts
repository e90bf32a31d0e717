/**
 * Keeps the books true to what nodes actually run. A node's heartbeat (and its registration) lists
 * its running sessions, signed; whatever the control plane missed in between (an end report lost
 * for good, a node restarted, a reservation that lapsed as its player joined, books forgotten in an
 * outage) is squared from that list, and the sessions of a node that went silent end with a reason.
 *
 * A node is not trusted by this: it can only free or occupy its own slots (claiming sessions it
 * does not run only keeps players away from it), it cannot claim a session placed on another node,
 * and it earns nothing from a session without a record (an end report needs one).
 */
import type { SessionEndReason } from '../../protocol/http.js';
import type { Logger } from '../logging/logger.js';
import type { ControlPlaneMetrics } from '../metrics/metrics.js';
import type { SessionRecord, Store } from '../store/store.js';
import { INFERRED_END_REASONS, SESSION_RECORD_TTL_MS } from './session-service.js';

export interface SessionReconcilerOptions {
  store: Store;
  metrics: ControlPlaneMetrics;
  log: Logger;
}

export class SessionReconciler {
  readonly #store: Store;
  readonly #metrics: ControlPlaneMetrics;
  readonly #log: Logger;

  constructor({ store, metrics, log }: SessionReconcilerOptions) {
    this.#store = store;
    this.#metrics = metrics;
    this.#log = log.child({ component: 'session-reconciler' });
  }

  /**
   * Squares the node's books with the sessions it runs: from a heartbeat, or (`registration`) from
   * a registration, after which the node runs nothing it did not list. Returns the sessions the
   * node runs that it must end: the control plane ended them for good, or their player moved on.
   */
  async reconcile(nodeId: string, running: readonly string[], registration: boolean): Promise<string[]> {
    const { released, unknown } = await this.#store.reconcileNodeSessions(nodeId, running, registration);
    await Promise.all(released.map((sessionId) => this.#end(nodeId, sessionId, registration ? 'node_lost' : 'unreported')));
    return unknown.length > 0 ? this.#adopt(nodeId, unknown) : [];
  }

  /** Ends the records of the sessions that were on nodes now gone; returns how many it ended. */
  async endOrphans(): Promise<number> {
    const orphans = await this.#store.takeOrphanedSessions();
    const ended = await Promise.all(
      orphans.flatMap(({ nodeId, sessionIds }) => sessionIds.map((sessionId) => this.#end(nodeId, sessionId, 'node_lost'))),
    );
    return ended.filter(Boolean).length;
  }

  async #end(nodeId: string, sessionId: string, reason: SessionEndReason): Promise<boolean> {
    const record = await this.#store.getSession(sessionId);
    if (record === null || record.nodeId !== nodeId) return false;
    // A reservation its player never used did not need the node to fail.
    const endReason = record.state === 'reserved' ? 'ticket_unused' : reason;
    const ended = await this.#store.transitionSession(sessionId, ['reserved', 'active'], { state: 'ended', endedAt: Date.now(), endReason });
    if (ended === null) return false;
    this.#metrics.sessionsEnded.inc({ reason: endReason });
    this.#log.info({ nodeId, sessionId, reason: endReason }, 'session ended by reconciliation');
    return true;
  }

  /**
   * Counts busy the sessions the node runs that were placed on it, and makes their records active
   * again where they had been given up; returns the others, which the node must end. A session
   * with no record (the embedded store restarted) still occupies a slot: it is running.
   */
  async #adopt(nodeId: string, sessionIds: readonly string[]): Promise<string[]> {
    const records = await Promise.all(sessionIds.map((sessionId) => this.#store.getSession(sessionId)));
    const verdicts = await Promise.all(
      records.map(async (record) => record === null || (record.nodeId === nodeId && revivable(record) && (await this.#stillHoldsPlayer(record)))),
    );
    const adoptable = sessionIds.filter((_, i) => verdicts[i]);
    const refused = sessionIds.filter((_, i) => !verdicts[i]);
    if (refused.length > 0) this.#log.warn({ nodeId, sessionIds: refused }, 'node runs sessions that were not placed on it, were ended for good, or whose player moved on; telling it to end them');
    if (adoptable.length === 0) return refused;
    await this.#store.adoptSessions(nodeId, adoptable);
    await Promise.all(
      records
        .filter((record): record is SessionRecord => record !== null && adoptable.includes(record.sessionId) && record.state !== 'active')
        .map(async ({ endedAt: _endedAt, endReason: _endReason, ...record }) => {
          await this.#store.putSession({ ...record, state: 'active', startedAt: record.startedAt ?? Date.now() }, SESSION_RECORD_TTL_MS);
          this.#log.info({ nodeId, sessionId: record.sessionId, was: record.state }, 'session the node still runs is active again');
        }),
    );
    return refused;
  }

  /**
   * A session brought back must still be its player's one session: one whose player has since been
   * placed elsewhere (they failed over, or took over the claim once the node went silent) is not,
   * or reconciliation would hand that player a second stream. Claiming again keeps the claim.
   */
  async #stillHoldsPlayer(record: SessionRecord): Promise<boolean> {
    return (await this.#store.claimPlayer(record.playerId, record.sessionId, SESSION_RECORD_TTL_MS)) === null;
  }
}

/** A record the node may claim as running: not ended, or ended only by the control plane's inference (never `superseded`). */
function revivable(record: SessionRecord): boolean {
  if (record.state !== 'ended') return true;
  return record.usage === undefined && record.endReason !== undefined && INFERRED_END_REASONS.has(record.endReason);
}
