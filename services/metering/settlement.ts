/**
 * Reconciles a session's two usage records into what its operator is paid. The player's record is
 * the ceiling: seconds are credited only as far as both agree, at the price the node had when the
 * session was placed, scaled by the quality the player received. Records that disagree by more
 * than startup, shutdown and packet loss explain are flagged and pay nothing until the admin
 * resolves them (services/metering/flag-resolutions.ts); the resolution then says what is paid.
 */
import type { FlagResolution, SessionSettlement } from '../../protocol/metering.js';
import type { LedgerSession, NodeUsageEntry, PlayerUsageEntry, SessionBinding } from './ledger.js';

export const SETTLEMENT_TOLERANCE = {
  /** Share of the longer side's seconds the two may differ by... */
  secondsShare: 0.1,
  /** ...plus this: joining, the first keyframe and the last report are timed at different ends. */
  secondsSlack: 15,
  /** Frames the node sent beyond what the player received: loss, and the frames after the page stopped counting. */
  framesShare: 0.15,
  framesSlack: 300,
} as const;

export function settle(sessionId: string, session: LedgerSession): SessionSettlement | null {
  const { binding, node, player, resolution } = session;
  if (node === null) return null;
  const report = node.record.payload;
  const nodeSeconds = Math.max(0, (report.endedAt - report.startedAt) / 1000);
  const base = {
    sessionId,
    nodeId: report.nodeId,
    endedAt: report.endedAt,
    nodeSeconds: round(nodeSeconds, 3),
    pricePerHour: binding?.pricePerHour ?? 0,
    playerLatencyP50Ms: player?.record.payload.latencyP50Ms ?? null,
    playerFps: player === null ? null : round(player.record.payload.fps, 2),
  };
  if (binding === null || player === null) {
    return {
      ...base,
      status: 'unconfirmed',
      reasons: [binding === null ? 'no_player_key' : 'player_record_missing'],
      playerSeconds: null,
      creditedSeconds: 0,
      quality: 0,
      amount: 0,
    };
  }
  const terms = reconcile(nodeSeconds, binding, node, player);
  const agreed = { reasons: terms.reasons, playerSeconds: round(terms.playerSeconds, 3), quality: terms.quality };
  if (terms.reasons.length === 0) {
    return { ...base, ...agreed, status: 'credited', creditedSeconds: round(terms.agreedSeconds, 3), amount: terms.agreedAmount };
  }
  if (resolution === null) return { ...base, ...agreed, status: 'flagged', creditedSeconds: 0, amount: 0 };
  const paid = resolutionPayment(terms, resolution.resolution);
  return {
    ...base,
    ...agreed,
    status: 'resolved',
    creditedSeconds: paid.creditedSeconds,
    amount: paid.amount,
    resolution: { decision: resolution.resolution.decision, reason: resolution.resolution.reason, amount: paid.amount, resolvedAt: resolution.resolvedAt },
  };
}

/** What both records say together, and what a resolution of their disagreement may pay. */
export interface FlagTerms {
  /** Empty when the records agree. */
  reasons: string[];
  nodeSeconds: number;
  playerSeconds: number;
  framesSent: number;
  framesReceived: number;
  pricePerHour: number;
  quality: number;
  /** The seconds both records agree on (the player's the ceiling), and what they are worth. */
  agreedSeconds: number;
  agreedAmount: number;
  /** What the player's record is worth: the most any payment for the session may be. */
  ceilingAmount: number;
}

/** null until the session has its binding and both records. */
export function flagTerms({ binding, node, player }: LedgerSession): FlagTerms | null {
  if (binding === null || node === null || player === null) return null;
  const report = node.record.payload;
  return reconcile(Math.max(0, (report.endedAt - report.startedAt) / 1000), binding, node, player);
}

/** What a resolution pays: the amount, and the seconds it stands for at the bound price and quality. */
export function resolutionPayment(terms: FlagTerms, resolution: FlagResolution): { creditedSeconds: number; amount: number } {
  switch (resolution.decision) {
    case 'pay_agreed':
      return { creditedSeconds: round(terms.agreedSeconds, 3), amount: terms.agreedAmount };
    case 'pay_nothing':
      return { creditedSeconds: 0, amount: 0 };
    case 'pay_amount': {
      const perSecond = (terms.pricePerHour * terms.quality) / 3600;
      const seconds = perSecond > 0 ? Math.min(terms.playerSeconds, resolution.amount / perSecond) : 0;
      return { creditedSeconds: round(seconds, 3), amount: round(resolution.amount, 6) };
    }
  }
}

function reconcile(nodeSeconds: number, binding: SessionBinding, node: NodeUsageEntry, player: PlayerUsageEntry): FlagTerms {
  const report = node.record.payload;
  const watched = player.record.payload;
  const reasons: string[] = [];
  const t = SETTLEMENT_TOLERANCE;
  if (Math.abs(nodeSeconds - watched.secondsWatched) > t.secondsShare * Math.max(nodeSeconds, watched.secondsWatched) + t.secondsSlack) {
    reasons.push('seconds_disagree');
  }
  if (report.framesSent > watched.framesReceived * (1 + t.framesShare) + t.framesSlack) reasons.push('frames_disagree');
  const quality = deliveredQuality(binding, watched);
  const worth = (seconds: number): number => round((seconds / 3600) * binding.pricePerHour * quality, 6);
  const agreedSeconds = Math.min(nodeSeconds, watched.secondsWatched);
  return {
    reasons,
    nodeSeconds,
    playerSeconds: watched.secondsWatched,
    framesSent: report.framesSent,
    framesReceived: watched.framesReceived,
    pricePerHour: binding.pricePerHour,
    quality,
    agreedSeconds,
    agreedAmount: worth(agreedSeconds),
    ceilingAmount: worth(watched.secondsWatched),
  };
}

/** Frame rate and resolution the player got, against what the game asks for (each capped at 1). */
function deliveredQuality(binding: { targetFps: number; height: number }, watched: { fps: number; height: number }): number {
  const fps = binding.targetFps > 0 ? Math.min(1, watched.fps / binding.targetFps) : 1;
  const resolution = binding.height > 0 ? Math.min(1, watched.height / binding.height) : 1;
  return round(fps * resolution, 4);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
