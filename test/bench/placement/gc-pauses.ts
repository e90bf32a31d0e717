/** Garbage-collection pauses of this process while something is timed, to tell them apart from waiting on Redis. */
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';

export interface GcPause {
  start: number;
  end: number;
  kind: 'minor' | 'major' | 'incremental' | 'weakcb';
}

const KINDS: Record<number, GcPause['kind']> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Records pauses from now until `stop()`. */
export function recordGcPauses(): { stop(): GcPause[] } {
  const pauses: GcPause[] = [];
  const take = (entries: PerformanceEntry[]) => {
    for (const entry of entries) {
      const kind = KINDS[(entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'minor';
      pauses.push({ start: entry.startTime, end: entry.startTime + entry.duration, kind });
    }
  };
  const observer = new PerformanceObserver((list) => take(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      take(observer.takeRecords());
      observer.disconnect();
      return pauses;
    },
  };
}

export interface GcImpact {
  pauses: number;
  /** Pauses by kind, and their total, ms. */
  pauseMsByKind: Record<string, number>;
  /** Of the calls slower than `thresholdMs`, the share that a pause overlapped, %. */
  slowCallsOverlappingGcPct: number;
  /** GC time inside those slow calls, as a share of their total time, %. */
  slowCallsTimeInGcPct: number;
  /** GC time inside all the calls, as a share of their total time, %. */
  allCallsTimeInGcPct: number;
}

/** How much of the slow calls (started at `startedAt[i]`, lasting `durationMs[i]`) were GC pauses. */
export function gcImpact(pauses: readonly GcPause[], startedAt: Float64Array, durationMs: Float64Array, thresholdMs: number): GcImpact {
  const sorted = [...pauses].sort((a, b) => a.start - b.start);
  const pauseMsByKind: Record<string, number> = {};
  for (const pause of sorted) pauseMsByKind[pause.kind] = (pauseMsByKind[pause.kind] ?? 0) + (pause.end - pause.start);
  let slow = 0;
  let overlapped = 0;
  let slowMs = 0;
  let gcMs = 0;
  let allMs = 0;
  let allGcMs = 0;
  let first = 0;
  // Calls run one after another, so their start times increase, and so does the first pause that can overlap.
  for (let i = 0; i < startedAt.length; i++) {
    const from = startedAt[i]!;
    const to = from + durationMs[i]!;
    while (first < sorted.length && sorted[first]!.end <= from) first++;
    let inGc = 0;
    for (let j = first; j < sorted.length && sorted[j]!.start < to; j++) inGc += Math.min(sorted[j]!.end, to) - Math.max(sorted[j]!.start, from);
    allMs += to - from;
    allGcMs += inGc;
    if (durationMs[i]! <= thresholdMs) continue;
    slow++;
    slowMs += to - from;
    if (inGc > 0) overlapped++;
    gcMs += inGc;
  }
  return {
    pauses: sorted.length,
    pauseMsByKind,
    slowCallsOverlappingGcPct: slow === 0 ? 0 : (100 * overlapped) / slow,
    slowCallsTimeInGcPct: slowMs === 0 ? 0 : (100 * gcMs) / slowMs,
    allCallsTimeInGcPct: allMs === 0 ? 0 : (100 * allGcMs) / allMs,
  };
}
