/**
 * The control plane's side of verification: it grants checkers sessions that look like any
 * player's (a guest identity, a normal ticket, a slot reserved like any other), judges the signed
 * results they send back against what the node declared, keeps them in the ledger, and turns
 * checks and players' own reports into the reputation placement uses.
 */
import type { KeyObject } from 'node:crypto';
import { AppError } from '../../protocol/errors.js';
import type { CheckerIdentity, CheckSessionGranted, CheckVerdict, NodeVerification, SignedCheckResult, SignedCheckSessionRequest } from '../../protocol/checks.js';
import { publicKeyFromRaw, verifyPayload } from '../../protocol/signing.js';
import type { GuestAuth } from '../auth/guest-auth.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { Logger } from '../logging/logger.js';
import type { ControlPlaneMetrics } from '../metrics/metrics.js';
import type { Ledger } from '../metering/ledger.js';
import { newSessionId, type SessionService } from '../sessions/session-service.js';
import type { Store } from '../store/store.js';
import { judgeCheck, type CheckPolicy } from './check-judge.js';
import { judgeReputation, REPUTATION_POLICY, type PlayerReport } from './reputation.js';

/** The built-in game checkers play: every node can run it, and it draws the latency strip. */
export const VERIFICATION_GAME_ID = 'demo-arena';
/** How far a checker's signed request may be from our clock. */
const MAX_CLOCK_SKEW_MS = 30_000;
/** Players' reports compared with checks: the node's most recent sessions. */
const PLAYER_SESSIONS_COMPARED = 30;

export interface VerificationServiceOptions {
  store: Store;
  ledger: Ledger;
  sessions: SessionService;
  catalogue: Catalogue;
  guestAuth: GuestAuth;
  checkers: readonly CheckerIdentity[];
  reservationTtlMs: number;
  /** What a check must show (services/checker/check-judge.ts). */
  checkPolicy: CheckPolicy;
  metrics: ControlPlaneMetrics;
  log: Logger;
}

interface KnownChecker {
  identity: CheckerIdentity;
  key: KeyObject;
}

export class VerificationService {
  readonly #options: VerificationServiceOptions;
  readonly #log: Logger;
  readonly #checkers = new Map<string, KnownChecker>();

  constructor(options: VerificationServiceOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'verification' });
    for (const identity of options.checkers) this.#checkers.set(identity.checkerId, { identity, key: publicKeyFromRaw(identity.publicKey) });
  }

  async openCheckSession({ payload, signature }: SignedCheckSessionRequest): Promise<CheckSessionGranted> {
    const { store, sessions, catalogue, guestAuth, reservationTtlMs } = this.#options;
    this.#checker(payload.checkerId, payload, signature);
    if (Math.abs(payload.sentAt - Date.now()) > MAX_CLOCK_SKEW_MS) throw new AppError('CHECK_CLOCK_SKEW');
    const node = await store.getNode(payload.nodeId);
    if (node === null) throw new AppError('NODE_NOT_FOUND');
    const sessionId = newSessionId();
    const reservation = await store.reserveSlot(node.nodeId, sessionId, reservationTtlMs);
    if (reservation === null) throw new AppError('NO_CAPACITY', 'The node has no free slot for a check now.');
    const guest = guestAuth.issue();
    const session = await sessions.open({
      sessionId,
      playerId: guest.playerId,
      game: catalogue.get(VERIFICATION_GAME_ID),
      node: { nodeId: node.nodeId, signallingUrl: node.signallingUrl, pricePerHour: node.pricePerHour },
      reservation,
      usageKey: payload.usageKey,
      check: true,
    });
    this.#log.info({ checkerId: payload.checkerId, nodeId: node.nodeId, sessionId }, 'check session granted');
    return { session, guest };
  }

  async recordCheck(result: SignedCheckResult): Promise<CheckVerdict> {
    const { store, ledger, catalogue } = this.#options;
    const { payload } = result;
    const checker = this.#checker(payload.checkerId, payload, result.signature);
    const node = await store.getNode(payload.nodeId);
    if (node === null) throw new AppError('NODE_NOT_FOUND');
    const verdict = judgeCheck(payload, node, catalogue.get(VERIFICATION_GAME_ID).manifest, checker.identity.location, this.#options.checkPolicy);
    const outcome = await ledger.appendCheck({ result, verdict, receivedAt: Date.now() });
    if (outcome === 'conflict') throw new AppError('CHECK_CONFLICT');
    if (outcome === 'appended') this.#options.metrics.observeCheck({ passed: verdict.passed, ...(verdict.latencyP50Ms === null ? {} : { inputToFrameMs: verdict.latencyP50Ms }) });
    await this.#releaseUnjoined(payload);
    const log = this.#log.child({ nodeId: node.nodeId, checkId: payload.checkId });
    log.info({ passed: verdict.passed, failures: verdict.failures, fps: verdict.fps, latencyP50Ms: verdict.latencyP50Ms, rttMs: verdict.rttMs, encodeMs: verdict.encodeMs, encoder: verdict.encoder }, 'check recorded');
    await this.refresh(node.nodeId);
    return verdict;
  }

  async verification(nodeId: string): Promise<NodeVerification> {
    const { ledger } = this.#options;
    const checks = (await ledger.nodeChecks(nodeId, REPUTATION_POLICY.window)).map((entry) => entry.verdict);
    const verdict = judgeReputation(checks, await this.#playerReports(nodeId));
    return { nodeId, ...verdict, recentChecks: checks };
  }

  /** Recomputes the node's reputation from its checks and players; placement reads it from the store. */
  async refresh(nodeId: string): Promise<NodeVerification> {
    const verification = await this.verification(nodeId);
    await this.#options.store.setNodeReputation(nodeId, verification.reputation);
    if (verification.suspended || verification.flags.length > 0) {
      this.#log.warn({ nodeId, suspended: verification.suspended, flags: verification.flags, reputation: verification.reputation }, 'node reputation lowered');
    }
    return verification;
  }

  /**
   * A synthetic player the node refused would hold its reserved slot until the reservation lapses,
   * and make the next check find the node full; the checker's own sessions are freed at once.
   */
  async #releaseUnjoined({ nodeId, sessions }: SignedCheckResult['payload']): Promise<void> {
    const { store, ledger } = this.#options;
    for (const { sessionId, joined } of sessions) {
      if (sessionId === null || joined) continue;
      const { binding } = await ledger.session(sessionId);
      if (binding === null || !binding.check || binding.nodeId !== nodeId) continue;
      await store.releaseSlot(nodeId, sessionId);
      await store.transitionSession(sessionId, ['reserved'], { state: 'ended', endedAt: Date.now(), endReason: 'ticket_unused' });
    }
  }

  async #playerReports(nodeId: string): Promise<PlayerReport[]> {
    const { ledger } = this.#options;
    const ids = await ledger.nodeSessions(nodeId, PLAYER_SESSIONS_COMPARED);
    const sessions = await Promise.all(ids.map((id) => ledger.session(id)));
    return sessions
      .filter(({ binding, player }) => binding !== null && !binding.check && player !== null)
      .map(({ player }) => ({ latencyP50Ms: player!.record.payload.latencyP50Ms, fps: player!.record.payload.fps }));
  }

  #checker(checkerId: string, payload: unknown, signature: string): KnownChecker {
    const checker = this.#checkers.get(checkerId);
    if (checker === undefined || !verifyPayload(payload, signature, checker.key)) {
      this.#log.warn({ checkerId }, 'checker request refused: unknown checker or bad signature');
      throw new AppError('CHECKER_UNKNOWN');
    }
    return checker;
  }
}
