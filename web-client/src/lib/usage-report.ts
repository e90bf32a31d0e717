/** The page's usage record: what it watched, received, decoded and measured over the whole session. */
import type { SessionCreated } from '../../../protocol/http.js';
import type { PlayerUsagePayload } from '../../../protocol/metering.js';
import type { StreamStats } from './stats-monitor.js';

export interface WatchedSession {
  session: Pick<SessionCreated, 'sessionId' | 'nodeId'>;
  /** Epoch ms when the stream started, and when the page stopped watching. */
  joinedAt: number;
  endedAt: number;
  /** The last stats the page polled (null when none arrived). */
  stats: StreamStats | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export function usageRecord({ session, joinedAt, endedAt, stats, latencyP50Ms, latencyP95Ms }: WatchedSession): PlayerUsagePayload {
  const secondsWatched = Math.max(0, (endedAt - joinedAt) / 1000);
  const framesDecoded = stats?.framesDecoded ?? 0;
  return {
    sessionId: session.sessionId,
    nodeId: session.nodeId,
    secondsWatched: round(secondsWatched),
    framesReceived: stats?.framesReceived ?? 0,
    framesDecoded,
    width: stats?.width ?? 0,
    height: stats?.height ?? 0,
    fps: secondsWatched > 0 ? Math.min(1000, round(framesDecoded / secondsWatched)) : 0,
    latencyP50Ms: clampMs(latencyP50Ms),
    latencyP95Ms: clampMs(latencyP95Ms),
    rttMs: clampMs(stats?.rttMs ?? null),
    sentAt: endedAt,
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function clampMs(value: number | null): number | null {
  return value === null ? null : Math.min(60_000, Math.max(0, round(value)));
}
