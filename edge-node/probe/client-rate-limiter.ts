/**
 * One token bucket per client address, in a bounded map: a flood from many addresses evicts the
 * least recently seen buckets (their owners start again with a full bucket) instead of growing memory.
 */
import { isIPv6 } from 'node:net';
import { LRUCache } from 'lru-cache';
import { TokenBucket } from '../input/token-bucket.js';

export interface RateLimit {
  ratePerSecond: number;
  burst: number;
  /** Buckets kept at once. */
  maxClients: number;
}

export class ClientRateLimiter {
  private readonly buckets: LRUCache<string, TokenBucket>;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.buckets = new LRUCache({ max: limit.maxClients });
  }

  take(address: string): boolean {
    const key = clientKey(address);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.limit.ratePerSecond, this.limit.burst, this.now);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }
}

/**
 * The unit one client controls: an IPv4 address, or an IPv6 /64, since one subscriber is handed a
 * whole /64 and could otherwise take a fresh bucket for every probe.
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
