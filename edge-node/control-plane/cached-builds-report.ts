/**
 * Tells the control plane which builds the node holds without registering again: a change to the
 * cache makes the next heartbeats list every cached build, until the control plane acknowledges
 * one of them (a lost heartbeat or ack loses nothing, the next one repeats it); in the steady
 * state heartbeats list none and stay small. A registration lists them too and counts as heard.
 */
import { MAX_REPORTED_BUILDS } from '../../protocol/http.js';

/** The builds as they were when taken, and how to mark them heard once the control plane acknowledged them. */
export interface BuildsSnapshot {
  readonly builds: string[];
  acknowledge(): void;
}

export class CachedBuildsReport {
  /** Counts the cache's changes; the control plane has heard the set as of `#heard`. */
  #version = 0;
  #heard = 0;

  constructor(private readonly list: () => string[]) {}

  /** The cache's set changed (a build fetched or evicted). */
  changed(): void {
    this.#version++;
  }

  /** Every cached build now, for a registration. */
  snapshot(): BuildsSnapshot {
    const version = this.#version;
    return {
      builds: this.list().slice(0, MAX_REPORTED_BUILDS),
      // Acks may arrive out of order: an older one never unmarks a newer one.
      acknowledge: () => {
        this.#heard = Math.max(this.#heard, version);
      },
    };
  }

  /** The builds the next heartbeat must carry, or undefined while the control plane has heard the current set. */
  pending(): BuildsSnapshot | undefined {
    return this.#version === this.#heard ? undefined : this.snapshot();
  }
}
