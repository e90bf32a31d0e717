import { describe, expect, it } from 'vitest';
import { CellDensities } from '../../../services/matchmaker/cell-densities.js';

describe('cell densities', () => {
  it('remembers counts until they are too old', () => {
    const densities = new CellDensities({ maxAgeMs: 1_000 });
    densities.set('a', [1, 2, 3], 10_000);
    expect(densities.get('a', 10_500)).toEqual([1, 2, 3]);
    expect(densities.get('a', 11_001)).toBeUndefined();
    expect(densities.get('a', 10_500)).toBeUndefined();
    expect(densities.get('b', 10_500)).toBeUndefined();
  });

  it('forgets the oldest counted cell once full', () => {
    const densities = new CellDensities({ maxEntries: 2 });
    densities.set('a', [1], 0);
    densities.set('b', [2], 0);
    densities.set('a', [3], 1);
    densities.set('c', [4], 2);
    expect(densities.get('b', 2)).toBeUndefined();
    expect(densities.get('a', 2)).toEqual([3]);
    expect(densities.get('c', 2)).toEqual([4]);
  });
});
