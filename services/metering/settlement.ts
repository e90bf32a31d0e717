/**
 * Reconciles a session's two usage records into what its operator is paid. The player's record is
 * the ceiling: seconds are credited only as far as both agree, at the price the node had when the
 * session was placed, scaled by the quality the player received. Records that disagree by more
 * than startup, shutdown and packet loss explain are flagged and pay nothing until resolved.
 */
import type { SessionSettlement } from '../../protocol/metering.js';
import type { LedgerSession } from './ledger.js';

export const SETTLEMENT_TOLERANCE = {
  /** Share of the longer side's seconds the two may differ by... */
  secondsShare: 0.1,
  /** ...plus this: joining, the first keyframe and the last report are timed at different ends. */
  secondsSlack: 15,
  /** Frames the node sent beyond what the player received: loss, and the frames after the page stopped counting. */
  framesShare: 0.15,
  framesSlack: 300,
} as const;

export function settle(sessionId: string, { binding, node, player }: LedgerSession): SessionSettlement | null {
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
  const watched = player.record.payload;
  const reasons: string[] = [];
  const t = SETTLEMENT_TOLERANCE;
  if (Math.abs(nodeSeconds - watched.secondsWatched) > t.secondsShare * Math.max(nodeSeconds, watched.secondsWatched) + t.secondsSlack) {
    reasons.push('seconds_disagree');
  }
  if (report.framesSent > watched.framesReceived * (1 + t.framesShare) + t.framesSlack) reasons.push('frames_disagree');
  const creditedSeconds = Math.min(nodeSeconds, watched.secondsWatched);
  const quality = deliveredQuality(binding, watched);
  if (reasons.length > 0) {
    return { ...base, status: 'flagged', reasons, playerSeconds: round(watched.secondsWatched, 3), creditedSeconds: 0, quality, amount: 0 };
  }
  return {
    ...base,
    status: 'credited',
    reasons,
    playerSeconds: round(watched.secondsWatched, 3),
    creditedSeconds: round(creditedSeconds, 3),
    quality,
    amount: round((creditedSeconds / 3600) * binding.pricePerHour * quality, 6),
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
