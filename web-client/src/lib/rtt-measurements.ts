/**
 * Turns raw probe timings into what the matchmaker is told: one median RTT per candidate, or null
 * when nothing usable came back (the control plane then falls back to its distance estimate).
 */
import { MAX_RTT_MS, type PlacementCandidate, type RttMeasurement } from '../../../protocol/placement.js';

/** One candidate's probes in the order they were sent: milliseconds, or null for a probe that failed. */
export type ProbeSeries = (number | null)[];

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The first probe pays for the TCP (and TLS) handshake, which the stream's own connection will not
 * pay again, so it only warms the connection up; it counts only when it is the sole probe sent.
 */
export function seriesRtt(series: ProbeSeries): number | null {
  const warm = series.length > 1 ? series.slice(1) : series;
  const rtt = median(warm.filter((value): value is number => value !== null));
  // The control plane refuses values outside [0, MAX_RTT_MS]; a node that slow is as good as unreachable.
  if (rtt === null || rtt < 0 || rtt > MAX_RTT_MS) return null;
  return Math.round(rtt * 10) / 10;
}

export function buildMeasurements(candidates: PlacementCandidate[], series: ReadonlyMap<string, ProbeSeries>): RttMeasurement[] {
  return candidates.map(({ nodeId }) => ({ nodeId, rttMs: seriesRtt(series.get(nodeId) ?? []) }));
}
