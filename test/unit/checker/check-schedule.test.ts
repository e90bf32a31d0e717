import { describe, expect, it } from 'vitest';
import { CheckSchedule } from '../../../services/checker/check-schedule.js';

describe('when nodes are checked', () => {
  it('checks a new node within the join delay, forgets departed ones, and spaces later checks by exponential gaps', () => {
    const schedule = new CheckSchedule({ joinDelayMs: 1000, meanIntervalMs: 60_000 });
    schedule.observe(['a', 'b'], 0);
    expect(schedule.due(1000).sort()).toEqual(['a', 'b']);
    schedule.observe(['a'], 1000);
    expect(schedule.due(1000)).toEqual(['a']);
    const gaps: number[] = [];
    for (let i = 0; i < 2000; i++) {
      schedule.checked('a', 0);
      gaps.push(schedule.nextDueAt('a')!);
    }
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(50_000);
    expect(mean).toBeLessThan(70_000);
    // Memoryless, so unpredictable: a good share come well before the mean, some long after.
    expect(gaps.filter((g) => g < 10_000).length).toBeGreaterThan(200);
    expect(gaps.filter((g) => g > 120_000).length).toBeGreaterThan(100);
  });
});
