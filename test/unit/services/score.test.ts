import { describe, expect, it } from 'vitest';
import { placementScore, rankByScore, SCORE_WEIGHTS, type ScoreInput } from '../../../services/matchmaker/score.js';
import { estimateRttMs, LAST_MILE_RTT_MS } from '../../../services/matchmaker/latency-estimate.js';
import { slotCounts } from '../../../services/store/store.js';

type Node = ScoreInput & { nodeId: string };

function node(nodeId: string, overrides: Partial<ScoreInput> = {}): Node {
  return { nodeId, rttMs: 20, slots: slotCounts(4, 0, 0), buildCached: false, reputation: 0.8, pricePerHour: 0.5, ...overrides };
}

const ranked = (...nodes: Node[]) => rankByScore(nodes, (ranking) => ranking).map((ranking) => ranking.nodeId);

describe('placement score', () => {
  it('lets a clearly lower RTT win over every other factor at its worst', () => {
    const near = node('near', { rttMs: 10, slots: slotCounts(4, 3, 0), buildCached: false, reputation: 0, pricePerHour: 1000 });
    const far = node('far', { rttMs: 40, slots: slotCounts(4, 0, 0), buildCached: true, reputation: 1, pricePerHour: 0 });
    expect(ranked(far, near)).toEqual(['near', 'far']);
    // Everything but RTT, at its worst against its best, is worth less than the 30 ms between them.
    const spread = SCORE_WEIGHTS.load + SCORE_WEIGHTS.cached + SCORE_WEIGHTS.reputation + SCORE_WEIGHTS.price;
    expect(placementScore({ ...near, rttMs: far.rttMs }) - placementScore(far)).toBeLessThanOrEqual(spread);
    expect(spread).toBeLessThan(far.rttMs - near.rttMs);
  });

  it('breaks an RTT tie by load', () => {
    expect(ranked(node('busy', { slots: slotCounts(4, 1, 2) }), node('idle', { slots: slotCounts(4, 0, 0) }))).toEqual(['idle', 'busy']);
  });

  it('breaks an RTT tie by the build being cached', () => {
    expect(ranked(node('cold'), node('warm', { buildCached: true }))).toEqual(['warm', 'cold']);
  });

  it('breaks an RTT tie by reputation', () => {
    expect(ranked(node('shady', { reputation: 0.3 }), node('trusted', { reputation: 0.95 }))).toEqual(['trusted', 'shady']);
  });

  it('breaks an RTT tie by price, without letting an absurd price count for more than its weight', () => {
    expect(ranked(node('pricey', { pricePerHour: 2 }), node('cheap', { pricePerHour: 0.2 }))).toEqual(['cheap', 'pricey']);
    expect(placementScore(node('absurd', { pricePerHour: 1000 })) - placementScore(node('free', { pricePerHour: 0 }))).toBeLessThan(SCORE_WEIGHTS.price);
  });

  it('ranks equal nodes by id, so every instance ranks alike', () => {
    expect(ranked(node('nb'), node('na'), node('nc'))).toEqual(['na', 'nb', 'nc']);
  });
});

describe('latency estimate', () => {
  it('is the last mile at zero distance and grows with distance like fibre with detours', () => {
    expect(estimateRttMs(0)).toBe(LAST_MILE_RTT_MS);
    expect(estimateRttMs(1000)).toBeGreaterThan(estimateRttMs(100));
    // Berlin-London, ~930 km: a measured RTT is typically 20-30 ms.
    expect(estimateRttMs(930)).toBeGreaterThan(20);
    expect(estimateRttMs(930)).toBeLessThan(35);
  });
});
