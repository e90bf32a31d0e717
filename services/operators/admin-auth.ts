/**
 * The network's administrator: creates and closes operator accounts. Admin tokens are given on
 * the command line (or generated once per start and printed); only their digests are kept.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../protocol/errors.js';

export class AdminAuth {
  readonly #digests: Buffer[];

  constructor(tokens: readonly string[]) {
    if (tokens.length === 0) throw new RangeError('at least one admin token is required');
    this.#digests = tokens.map(sha256);
  }

  static generateToken(): string {
    return `epa_${randomBytes(32).toString('base64url')}`;
  }

  isAdmin(token: string | null): boolean {
    if (token === null) return false;
    const digest = sha256(token);
    return this.#digests.some((known) => timingSafeEqual(known, digest));
  }

  /** Throws ADMIN_TOKEN_INVALID unless `token` is an admin token. */
  authenticate(token: string | null): void {
    if (!this.isAdmin(token)) throw new AppError('ADMIN_TOKEN_INVALID');
  }
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
