/**
 * The admin's side of flagged usage: lists the sessions whose two records disagree, and resolves
 * each once (pay what both agree on, pay nothing, or pay a stated amount no more than the
 * player's record is worth). A resolution is appended to the ledger like the records themselves:
 * the same one sent again counts once, a different one is refused, and the statement follows it.
 */
import { AppError } from '../../protocol/errors.js';
import type { FlaggedRecord, FlaggedState, FlagResolution, FlagResolved } from '../../protocol/metering.js';
import type { Logger } from '../logging/logger.js';
import type { Ledger } from './ledger.js';
import { flagTerms, settle } from './settlement.js';

/** Amounts are kept to six decimals; a stated amount equal to the ceiling at that precision is allowed. */
const AMOUNT_EPSILON = 5e-7;

export class FlagResolutions {
  readonly #ledger: Ledger;
  readonly #log: Logger;

  constructor(ledger: Ledger, log: Logger) {
    this.#ledger = ledger;
    this.#log = log.child({ component: 'flag-resolutions' });
  }

  async list(state: FlaggedState | 'all', from: number, to: number): Promise<FlaggedRecord[]> {
    const ids = await this.#ledger.flaggedSessions(from, to);
    const records = await Promise.all(ids.map((sessionId) => this.#record(sessionId)));
    return records.filter((record): record is FlaggedRecord => record !== null && (state === 'all' || record.state === state));
  }

  async resolve(sessionId: string, resolution: FlagResolution): Promise<FlagResolved> {
    const session = await this.#ledger.session(sessionId);
    const terms = flagTerms(session);
    if (terms === null || terms.reasons.length === 0) throw new AppError('FLAGGED_RECORD_NOT_FOUND', `Session ${sessionId} has no flagged usage record.`);
    if (resolution.decision === 'pay_amount' && resolution.amount > terms.ceilingAmount + AMOUNT_EPSILON) {
      throw new AppError('RESOLUTION_OVER_CEILING', `The player's usage record for session ${sessionId} is worth ${terms.ceilingAmount}; ${resolution.amount} is more.`, {
        ceilingAmount: terms.ceilingAmount,
      });
    }
    const outcome = await this.#ledger.appendResolution(sessionId, { resolution, resolvedAt: Date.now() });
    const log = this.#log.child({ sessionId, nodeId: session.node?.record.payload.nodeId });
    if (outcome === 'conflict') {
      log.warn({ decision: resolution.decision }, 'a different resolution for an already resolved flag was refused');
      throw new AppError('FLAG_ALREADY_RESOLVED');
    }
    log.info({ outcome, decision: resolution.decision, reason: resolution.reason }, 'flagged usage resolved');
    const record = await this.#record(sessionId);
    if (record === null) throw new AppError('FLAGGED_RECORD_NOT_FOUND');
    return { outcome, record };
  }

  async #record(sessionId: string): Promise<FlaggedRecord | null> {
    const session = await this.#ledger.session(sessionId);
    const terms = flagTerms(session);
    const settlement = settle(sessionId, session);
    if (terms === null || terms.reasons.length === 0 || session.node === null || settlement === null) return null;
    return {
      sessionId,
      nodeId: settlement.nodeId,
      operatorId: session.node.operatorId,
      endedAt: settlement.endedAt,
      state: settlement.resolution === undefined ? 'open' : 'resolved',
      reasons: terms.reasons,
      nodeSeconds: settlement.nodeSeconds,
      playerSeconds: settlement.playerSeconds ?? 0,
      framesSent: terms.framesSent,
      framesReceived: terms.framesReceived,
      pricePerHour: terms.pricePerHour,
      quality: terms.quality,
      agreedAmount: terms.agreedAmount,
      ceilingAmount: terms.ceilingAmount,
      resolution: settlement.resolution ?? null,
    };
  }
}
