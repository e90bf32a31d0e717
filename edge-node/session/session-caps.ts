/**
 * What one session may set up on the node's media engine. Each WebRTC transport holds file
 * descriptors and a UDP and a TCP port of a range every session shares, and each consumer or data
 * channel costs worker time, so a page that asks for them in a loop would starve the node's other
 * players. The player's page needs one transport each way, one consumer each for video and audio
 * and one input channel; the caps leave room for a page that retries, and count every attempt over
 * the session's life, since the player has no way to close what it set up.
 */
import { AppError } from '../../protocol/errors.js';

export interface SessionCapLimits {
  transports: number;
  consumers: number;
  dataChannels: number;
}

export const DEFAULT_SESSION_CAPS: SessionCapLimits = { transports: 4, consumers: 8, dataChannels: 2 };

const NAMES: Record<keyof SessionCapLimits, string> = {
  transports: 'WebRTC transports',
  consumers: 'media consumers',
  dataChannels: 'data channels',
};

export class SessionCaps {
  readonly #used: SessionCapLimits = { transports: 0, consumers: 0, dataChannels: 0 };

  constructor(private readonly limits: SessionCapLimits = DEFAULT_SESSION_CAPS) {}

  /** Counts one more of `kind`, or throws SESSION_RESOURCE_LIMIT once the session has had its share. */
  take(kind: keyof SessionCapLimits): void {
    const limit = this.limits[kind];
    if (this.#used[kind] >= limit) {
      throw new AppError('SESSION_RESOURCE_LIMIT', `A session may set up at most ${limit} ${NAMES[kind]}.`, { kind, limit });
    }
    this.#used[kind] += 1;
  }
}
