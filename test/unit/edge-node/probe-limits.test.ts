import { describe, expect, it } from 'vitest';
import { ClientRateLimiter, clientKey } from '../../../edge-node/probe/client-rate-limiter.js';

describe('ClientRateLimiter', () => {
  it('lets each address burst, then refills at the rate', () => {
    let now = 0;
    const limiter = new ClientRateLimiter({ ratePerSecond: 20, burst: 20, maxClients: 100 }, () => now);
    const taken = Array.from({ length: 25 }, () => limiter.take('203.0.113.7'));
    expect(taken.filter(Boolean)).toHaveLength(20);
    expect(limiter.take('203.0.113.8')).toBe(true);
    now += 100;
    expect([1, 2, 3].map(() => limiter.take('203.0.113.7'))).toEqual([true, true, false]);
  });

  it('drops the least recently seen buckets when more addresses appear than it keeps', () => {
    const limiter = new ClientRateLimiter({ ratePerSecond: 1, burst: 1, maxClients: 3 }, () => 0);
    expect(limiter.take('198.51.100.1')).toBe(true);
    expect(limiter.take('198.51.100.1')).toBe(false);
    for (let i = 2; i < 10_000; i++) limiter.take(`198.51.${Math.floor(i / 256)}.${i % 256}`);
    // Pushed out by the flood, its bucket was dropped: it starts again full.
    expect(limiter.take('198.51.100.1')).toBe(true);
    expect(limiter.take('198.51.100.1')).toBe(false);
  });

  it('counts an IPv6 /64 as one client, and an IPv4-mapped address as its IPv4 address', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(clientKey('192.0.2.1')).toBe('192.0.2.1');

    const limiter = new ClientRateLimiter({ ratePerSecond: 1, burst: 1, maxClients: 10 }, () => 0);
    expect(limiter.take('2001:db8:1:2::1')).toBe(true);
    expect(limiter.take('2001:db8:1:2::2')).toBe(false);
    expect(limiter.take('2001:db8:1:3::1')).toBe(true);
  });
});
