import { describe, expect, it } from 'vitest';
import { buildMeasurements, median, seriesRtt } from '../../../web-client/src/lib/rtt-measurements.js';
import type { PlacementCandidate } from '../../../protocol/placement.js';

const candidate = (nodeId: string): PlacementCandidate => ({ nodeId, probeUrl: `https://${nodeId}.example/probe`, distanceKm: 1, estimatedRttMs: 1 });

describe('median', () => {
  it('takes the middle value, or the mean of the middle two, without reordering its input', () => {
    const values = [30, 10, 20];
    expect(median(values)).toBe(20);
    expect(values).toEqual([30, 10, 20]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNull();
  });
});

describe('seriesRtt', () => {
  it('drops the warm-up probe, which paid for the connection handshake', () => {
    expect(seriesRtt([95, 12, 10, 11])).toBe(11);
  });

  it('ignores failed probes after the warm-up and rounds to a tenth of a millisecond', () => {
    expect(seriesRtt([50, 10.04, null, 12.06])).toBe(11.1);
  });

  it('is null when nothing but the warm-up answered, or nothing at all', () => {
    expect(seriesRtt([40, null])).toBeNull();
    expect(seriesRtt([null])).toBeNull();
    expect(seriesRtt([])).toBeNull();
  });

  it('keeps the only probe when only one was asked for', () => {
    expect(seriesRtt([23])).toBe(23);
  });

  it('treats a round trip beyond what the control plane accepts as unreachable', () => {
    expect(seriesRtt([10, 2500, 2600])).toBeNull();
  });
});

describe('buildMeasurements', () => {
  it('reports every candidate in offer order, null for those whose probes all failed or never ran', () => {
    const series = new Map([
      ['b', [30, 20, 22, 21]],
      ['a', [null]],
    ]);
    expect(buildMeasurements([candidate('a'), candidate('b'), candidate('c')], series)).toEqual([
      { nodeId: 'a', rttMs: null },
      { nodeId: 'b', rttMs: 21 },
      { nodeId: 'c', rttMs: null },
    ]);
  });
});
