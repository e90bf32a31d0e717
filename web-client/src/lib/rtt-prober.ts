/**
 * Measures the page's round trip to each candidate node: a few probes to each, one after another
 * on the same connection, and all candidates at once, so the whole measurement takes about as long
 * as the slowest candidate's probes (a few hundred ms) rather than the sum of them.
 */
import type { PlacementOffer, RttMeasurement } from '../../../protocol/placement.js';
import { buildMeasurements, type ProbeSeries } from './rtt-measurements.js';

export interface ProbeOptions {
  /** A probe that takes longer counts as failed, and ends that candidate's series. */
  timeoutMs?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  now?: () => number;
}

export function probeUrl(base: string, token: string): string {
  const url = new URL(base);
  url.searchParams.set('token', token);
  return url.toString();
}

export async function measureCandidates(offer: Pick<PlacementOffer, 'candidates' | 'probeToken' | 'probesPerCandidate'>, options: ProbeOptions = {}): Promise<RttMeasurement[]> {
  const series = await Promise.all(
    offer.candidates.map(async ({ nodeId, probeUrl: base }) => [nodeId, await probeSeries(probeUrl(base, offer.probeToken), offer.probesPerCandidate, options)] as const),
  );
  return buildMeasurements(offer.candidates, new Map(series));
}

/**
 * Stops at the first failure: a node that refused or timed out once would most likely cost a
 * full timeout per remaining probe, and the placement waits for the slowest candidate.
 */
export async function probeSeries(url: string, count: number, options: ProbeOptions = {}): Promise<ProbeSeries> {
  const series: ProbeSeries = [];
  while (series.length < count && !options.signal?.aborted) {
    const rtt = await probeOnce(url, options);
    series.push(rtt);
    if (rtt === null) break;
  }
  return series;
}

async function probeOnce(url: string, options: ProbeOptions): Promise<number | null> {
  const { timeoutMs = 1000, signal, fetch: fetchProbe = fetch, now = () => performance.now() } = options;
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  const timer = setTimeout(abort, timeoutMs);
  signal?.addEventListener('abort', abort, { once: true });
  const started = now();
  try {
    const response = await fetchProbe(url, { cache: 'no-store', mode: 'cors', signal: controller.signal });
    const elapsed = now() - started;
    return response.ok ? elapsed : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
  }
}
