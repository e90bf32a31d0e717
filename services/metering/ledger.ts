/**
 * The append-only ledger behind metering and verification: what each session was bound to when it
 * was placed, the usage records both sides signed, and the checkers' signed results. Nothing in it
 * is ever changed: a record sent twice counts once, and a different record for the same slot is
 * refused, so the first word stands. Unlike sessions, entries do not expire; both backends keep
 * them across restarts (the embedded one in a file under its data dir, Redis with persistence on).
 */
import type { SignedSessionEnd } from '../../protocol/http.js';
import type { CheckVerdict, SignedCheckResult } from '../../protocol/checks.js';
import type { FlagResolution, PlayerUsageKey, SignedPlayerUsage } from '../../protocol/metering.js';

/** What the control plane fixed about a session when it issued the ticket. */
export interface SessionBinding {
  sessionId: string;
  nodeId: string;
  playerId: string;
  usageKey: PlayerUsageKey;
  /** The node's price when the session was placed: later price changes do not reach back. */
  pricePerHour: number;
  /** What the game asks for: delivered quality is measured against it. */
  targetFps: number;
  width: number;
  height: number;
  createdAt: number;
  /** A checker's synthetic session (never shown to the operator). */
  check: boolean;
}

export interface NodeUsageEntry {
  operatorId: string;
  record: SignedSessionEnd;
  receivedAt: number;
}

export interface PlayerUsageEntry {
  record: SignedPlayerUsage;
  receivedAt: number;
}

export interface CheckEntry {
  result: SignedCheckResult;
  /** The control plane's judgement against what the node declared when the result arrived. */
  verdict: CheckVerdict;
  receivedAt: number;
}

/** The admin's decision on a flagged session; like the records, written once. */
export interface ResolutionEntry {
  resolution: FlagResolution;
  resolvedAt: number;
}

export interface LedgerSession {
  binding: SessionBinding | null;
  node: NodeUsageEntry | null;
  player: PlayerUsageEntry | null;
  resolution: ResolutionEntry | null;
}

/** appended: first time; duplicate: the same record again (counts once); conflict: a different one was there first. */
export type AppendOutcome = 'appended' | 'duplicate' | 'conflict';

export interface Ledger {
  bind(binding: SessionBinding): Promise<AppendOutcome>;
  session(sessionId: string): Promise<LedgerSession>;
  /** Also indexes the session under its operator and node by the report's end time. */
  appendNodeUsage(sessionId: string, entry: NodeUsageEntry): Promise<AppendOutcome>;
  appendPlayerUsage(sessionId: string, entry: PlayerUsageEntry): Promise<AppendOutcome>;
  /** Session ids the operator's nodes reported ended within [from, to]. */
  operatorSessions(operatorId: string, from: number, to: number): Promise<string[]>;
  /** Every node id the operator has reported usage for (nodes that went offline included). */
  operatorNodes(operatorId: string): Promise<string[]>;
  /** The node's most recent `limit` session ids, oldest first. */
  nodeSessions(nodeId: string, limit: number): Promise<string[]>;
  /** Remembers that the session's records disagree (idempotent), under the node report's end time. */
  indexFlagged(sessionId: string, endedAt: number): Promise<void>;
  /** Session ids indexed as flagged whose node reports ended within [from, to], oldest first. */
  flaggedSessions(from: number, to: number): Promise<string[]>;
  /** A repeat of the same decision is a duplicate (its time aside); a different one a conflict. */
  appendResolution(sessionId: string, entry: ResolutionEntry): Promise<AppendOutcome>;
  /** Keyed by the result's check id. */
  appendCheck(entry: CheckEntry): Promise<AppendOutcome>;
  /** The node's most recent `limit` checks, oldest first. */
  nodeChecks(nodeId: string, limit: number): Promise<CheckEntry[]>;
  /**
   * Keeps `member` in the set `key` (the nodes registered from one address, or by one operator)
   * for `ttlMs`: true when it is there already or the set has fewer than `max` live members.
   */
  admitMember(key: string, member: string, max: number, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}
