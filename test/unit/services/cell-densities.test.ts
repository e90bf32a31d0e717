import { describe, expect, it } from 'vitest';
import { CellDensities } from '../../../services/matchmaker/cell-densities.js';

describe('cell densities', () => {
  it('remembers counts until they are too old', () => {
    const densities = new CellDensities({ maxAgeMs: 1_000 });
    densities.set('a', 3, 10_000);
    expect(densities.get('a', 10_500)).toBe(3);
    expect(densities.get('a', 11_001)).toBeUndefined();
    expect(densities.get('a', 10_500)).toBeUndefined();
    expect(densities.get('b', 10_500)).toBeUndefined();
  });

  it('forgets the oldest counted cell once full', () => {
    const densities = new CellDensities({ maxEntries: 2 });
    densities.set('a', 1, 0);
    densities.set('b', 2, 0);
    densities.set('a', 3, 1);
    densities.set('c', 4, 2);
    expect(densities.get('b', 2)).toBeUndefined();
    expect(densities.get('a', 2)).toBe(3);
    expect(densities.get('c', 2)).toBe(4);
  });

  it('answers for a player\'s cells when all are known, or when a coarser one is too sparse for the finer to matter', () => {
    const densities = new CellDensities();
    densities.set('fine', 40, 0);
    densities.set('mid', 300, 0);
    densities.set('coarse', 5_000, 0);
    expect(densities.countsFor(['fine', 'mid', 'coarse'], 20, 0)).toEqual([40, 300, 5_000]);
    expect(densities.countsFor(['other-fine', 'mid', 'coarse'], 20, 0)).toBeUndefined();
    densities.set('sparse-mid', 6, 0);
    expect(densities.countsFor(['unknown-fine', 'sparse-mid', 'coarse'], 20, 0)).toEqual([6, 6, 5_000]);
    expect(densities.countsFor(['unknown-fine', 'unknown-mid', 'coarse'], 20, 0)).toBeUndefined();
  });
});
