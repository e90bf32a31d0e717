/**
 * The edge node's boundary for player input: every data-channel message is size-checked,
 * parsed, validated against the shared schema and rate-limited before the game sees it.
 * Bad messages are dropped and counted; nothing a player sends can throw past this gate.
 */
import { inputEventChecker, MAX_INPUT_MESSAGE_BYTES, type InputEvent } from '../../protocol/input.js';
import { TokenBucket } from './token-bucket.js';

export type InputRejection = 'too_large' | 'malformed' | 'invalid' | 'rate_limited';

export interface InputGateStats {
  accepted: number;
  tooLarge: number;
  malformed: number;
  invalid: number;
  rateLimited: number;
}

export interface InputGateOptions {
  /** Sustained events per second (a 1000 Hz mouse plus keys and a gamepad fits). */
  ratePerSecond?: number;
  burst?: number;
  now?: () => number;
}

const STAT_OF: Record<InputRejection, Exclude<keyof InputGateStats, 'accepted'>> = {
  too_large: 'tooLarge',
  malformed: 'malformed',
  invalid: 'invalid',
  rate_limited: 'rateLimited',
};

export type GateResult = { ok: true; event: InputEvent } | { ok: false; reason: InputRejection };

export class InputGate {
  readonly stats: InputGateStats = { accepted: 0, tooLarge: 0, malformed: 0, invalid: 0, rateLimited: 0 };
  private readonly bucket: TokenBucket;

  constructor(options: InputGateOptions = {}) {
    this.bucket = new TokenBucket(options.ratePerSecond ?? 1200, options.burst ?? 300, options.now);
  }

  admit(message: Buffer | string): GateResult {
    const size = typeof message === 'string' ? Buffer.byteLength(message) : message.length;
    if (size > MAX_INPUT_MESSAGE_BYTES) return this.reject('too_large');
    if (!this.bucket.take()) return this.reject('rate_limited');
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof message === 'string' ? message : message.toString('utf8'));
    } catch {
      return this.reject('malformed');
    }
    if (!inputEventChecker.Check(parsed)) return this.reject('invalid');
    this.stats.accepted++;
    return { ok: true, event: parsed };
  }

  get dropped(): number {
    return this.stats.tooLarge + this.stats.malformed + this.stats.invalid + this.stats.rateLimited;
  }

  private reject(reason: InputRejection): GateResult {
    this.stats[STAT_OF[reason]]++;
    return { ok: false, reason };
  }
}
