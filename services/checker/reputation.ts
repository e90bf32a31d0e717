/**
 * A node's reputation, from what checkers measured and what its players reported. Checks pass or
 * fail; repeated failures suspend the node from placement until a check passes again. Players
 * who keep seeing much worse than the checks did suggest a node that recognises checks and treats
 * them better: that halves its reputation.
 */
import { median } from './median.js';
import { DEFAULT_NODE_REPUTATION } from '../store/store.js';

/** Reputation 0 is kept for suspended nodes, which placement leaves out. */
export const SUSPENDED_REPUTATION = 0;
export const REPUTATION_POLICY = {
  /** Failed checks in a row that suspend a node. */
  suspendAfterFailures: 3,
  /** Checks the pass rate looks back over. */
  window: 20,
  /** Weight of the starting reputation, in checks: a new node's first result moves it only part way. */
  priorChecks: 4,
  /** Player reports needed before players are compared with checks. */
  minPlayerReports: 3,
  /** Players' median latency may exceed the checks' by this much before it counts as much worse... */
  latencySlackMs: 15,
  /** ...or by this share, whichever is larger. */
  latencySlackShare: 0.5,
  /** Players' median frame rate below this share of the checks' counts as much worse. */
  fpsShare: 0.8,
  /** Multiplies the reputation of a node whose players see much worse than its checks. */
  flaggedFactor: 0.5,
  /** The lowest reputation a node that is not suspended has, so it stays placeable. */
  floor: 0.05,
} as const;

export interface CheckOutcome {
  passed: boolean;
  latencyP50Ms: number | null;
  fps: number;
}

export interface PlayerReport {
  latencyP50Ms: number | null;
  fps: number;
}

export interface ReputationVerdict {
  reputation: number;
  suspended: boolean;
  checksPassed: number;
  checksFailed: number;
  consecutiveFailures: number;
  flags: string[];
  playerLatencyP50Ms: number | null;
  checkLatencyP50Ms: number | null;
}

export function isSuspended(reputation: number): boolean {
  return reputation <= SUSPENDED_REPUTATION;
}

/** `checks` and `players` oldest first. */
export function judgeReputation(checks: readonly CheckOutcome[], players: readonly PlayerReport[]): ReputationVerdict {
  const p = REPUTATION_POLICY;
  const recent = checks.slice(-p.window);
  const checksPassed = recent.filter((c) => c.passed).length;
  const checksFailed = recent.length - checksPassed;
  let consecutiveFailures = 0;
  for (let i = checks.length - 1; i >= 0 && !checks[i]!.passed; i--) consecutiveFailures++;

  const checkLatency = median(recent.filter((c) => c.passed).map((c) => c.latencyP50Ms));
  const checkFps = median(recent.filter((c) => c.passed).map((c) => c.fps));
  const playerLatency = median(players.map((r) => r.latencyP50Ms));
  const playerFps = median(players.map((r) => r.fps));
  const flags: string[] = [];
  if (players.length >= p.minPlayerReports) {
    if (playerLatency !== null && checkLatency !== null && playerLatency > checkLatency + Math.max(p.latencySlackMs, p.latencySlackShare * checkLatency)) {
      flags.push('players_latency_worse');
    }
    if (playerFps !== null && checkFps !== null && playerFps < p.fpsShare * checkFps) flags.push('players_fps_worse');
  }

  const suspended = consecutiveFailures >= p.suspendAfterFailures;
  let reputation = (checksPassed + p.priorChecks * DEFAULT_NODE_REPUTATION) / (recent.length + p.priorChecks);
  if (flags.length > 0) reputation *= p.flaggedFactor;
  reputation = suspended ? SUSPENDED_REPUTATION : Math.max(p.floor, Math.round(reputation * 1000) / 1000);
  return { reputation, suspended, checksPassed, checksFailed, consecutiveFailures, flags, playerLatencyP50Ms: playerLatency, checkLatencyP50Ms: checkLatency };
}
