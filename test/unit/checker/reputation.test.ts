import { describe, expect, it } from 'vitest';
import { isSuspended, judgeReputation, type CheckOutcome } from '../../../services/checker/reputation.js';
import { DEFAULT_NODE_REPUTATION } from '../../../services/store/store.js';

const pass: CheckOutcome = { passed: true, latencyP50Ms: 12, fps: 60 };
const fail: CheckOutcome = { passed: false, latencyP50Ms: null, fps: 0 };

describe('reputation from checks and players', () => {
  it('starts at the default and moves with passes and failures', () => {
    expect(judgeReputation([], []).reputation).toBe(DEFAULT_NODE_REPUTATION);
    const passing = judgeReputation([pass, pass, pass], []).reputation;
    expect(passing).toBeGreaterThan(DEFAULT_NODE_REPUTATION);
    expect(judgeReputation([pass, fail], []).reputation).toBeLessThan(passing);
  });

  it('suspends after three failures in a row, until a check passes again', () => {
    const suspended = judgeReputation([pass, fail, fail, fail], []);
    expect(suspended).toMatchObject({ suspended: true, reputation: 0, consecutiveFailures: 3 });
    expect(isSuspended(suspended.reputation)).toBe(true);
    const recovered = judgeReputation([pass, fail, fail, fail, pass], []);
    expect(recovered).toMatchObject({ suspended: false, consecutiveFailures: 0 });
    expect(isSuspended(recovered.reputation)).toBe(false);
  });

  it('halves the reputation when players keep seeing much worse than the checks, given enough reports', () => {
    const checks = [pass, pass];
    const fine = judgeReputation(checks, [{ latencyP50Ms: 15, fps: 59 }, { latencyP50Ms: 20, fps: 58 }, { latencyP50Ms: 14, fps: 60 }]);
    expect(fine.flags).toEqual([]);
    const worse = judgeReputation(checks, [{ latencyP50Ms: 60, fps: 40 }, { latencyP50Ms: 70, fps: 42 }, { latencyP50Ms: 65, fps: 41 }]);
    expect(worse.flags).toEqual(['players_latency_worse', 'players_fps_worse']);
    expect(worse.reputation).toBeCloseTo(fine.reputation / 2, 2);
    expect(judgeReputation(checks, [{ latencyP50Ms: 60, fps: 40 }]).flags).toEqual([]);
  });
});
