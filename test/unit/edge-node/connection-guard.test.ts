/** The signalling endpoint's per-address bounds, counted without a network. */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../protocol/errors.js';
import { ConnectionGuard } from '../../../edge-node/signalling/connection-guard.js';
import { SessionCaps } from '../../../edge-node/session/session-caps.js';

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError';
  }
};

describe('connection guard', () => {
  it('holds an address to its open connections, and counts a closed one only once', () => {
    const guard = new ConnectionGuard({ connectionsPerAddress: 2 });
    const closeFirst = guard.opened('198.51.100.1');
    guard.opened('198.51.100.1');
    expect(guard.refuseConnection('198.51.100.1')?.code).toBe('TOO_MANY_CONNECTIONS');
    expect(guard.refuseConnection('198.51.100.2')).toBeNull();
    closeFirst();
    closeFirst();
    expect(guard.refuseConnection('198.51.100.1')).toBeNull();
    guard.opened('198.51.100.1');
    expect(guard.refuseConnection('198.51.100.1')?.code).toBe('TOO_MANY_CONNECTIONS');
  });

  it('takes one IPv6 /64 for one address, and hangs up on an address past its connect budget', () => {
    const guard = new ConnectionGuard({ connectsPerSecond: 0.001, connectBurst: 3 });
    const admitted = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::9', '2001:db8:1:2::3'].map((address) => guard.admitSocket(address));
    expect(admitted).toEqual([true, true, true, false]);
    expect(guard.admitSocket('2001:db8:1:3::1')).toBe(true);
  });

  it('lets an address spend its failed joins, counting checks under way, and then refuses joins unchecked', () => {
    const guard = new ConnectionGuard({ failedJoinsPerWindow: 3, joinsPerConnection: 100 });
    const racing = [0, 1, 2].map(() => guard.startJoin('198.51.100.1', 0));
    expect(codeOf(() => guard.startJoin('198.51.100.1', 0))).toBe('JOIN_RATE_LIMITED');
    racing[0]!(false);
    const next = guard.startJoin('198.51.100.1', 0);
    for (const end of [racing[1]!, racing[2]!, next]) end(true);
    expect(codeOf(() => guard.startJoin('198.51.100.1', 0))).toBe('JOIN_RATE_LIMITED');
    expect(codeOf(() => guard.startJoin('198.51.100.2', 0))).toBeUndefined();
  });

  it('refuses a connection its joins past the limit, whatever their tickets', () => {
    const guard = new ConnectionGuard({ joinsPerConnection: 2 });
    expect(codeOf(() => guard.startJoin('198.51.100.1', 1))).toBeUndefined();
    expect(codeOf(() => guard.startJoin('198.51.100.1', 2))).toBe('JOIN_RATE_LIMITED');
  });
});

describe('session caps', () => {
  it('counts every transport, consumer and data channel a session sets up, and refuses past the cap with a code', () => {
    const caps = new SessionCaps({ transports: 2, consumers: 1, dataChannels: 1 });
    caps.take('transports');
    caps.take('transports');
    caps.take('consumers');
    expect(codeOf(() => caps.take('transports'))).toBe('SESSION_RESOURCE_LIMIT');
    expect(codeOf(() => caps.take('consumers'))).toBe('SESSION_RESOURCE_LIMIT');
    expect(codeOf(() => caps.take('dataChannels'))).toBeUndefined();
    expect(codeOf(() => caps.take('dataChannels'))).toBe('SESSION_RESOURCE_LIMIT');
  });
});
