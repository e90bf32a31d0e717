/**
 * A player holds at most one placement or one session at a time: the store keeps one claim per
 * player, naming the placement (`pl...`) or session (`s...`) that holds it, and only the store's
 * atomic claim decides between two requests racing for the same player. A placement that places
 * the player hands its claim to the session in the same step; the session keeps it until its node
 * reports it ended.
 *
 * A session can stop holding its player without anyone saying so (its node died, or the player
 * never joined and the reservation lapsed): such a claim is taken over when the player next asks,
 * again in one atomic step, so it never blocks them for longer than the node's TTL. A page failing
 * over from a node that died names it (`abandonedNodes`) and need not wait for that TTL: its
 * session there no longer holds the player.
 */
import { AppError } from '../../protocol/errors.js';
import type { Store } from '../store/store.js';

/** Placement ids start so (services/matchmaker/matchmaker.ts); session ids start with 's'. */
const PLACEMENT_ID_PREFIX = 'pl';

export class PlayerClaims {
  constructor(private readonly store: Store) {}

  /**
   * Claims the player for `holderId` (a placement or a session) for `ttlMs`, or says what holds
   * them; a session on one of `abandonedNodes` (the player's page saw it fail) does not.
   */
  async claim(playerId: string, holderId: string, ttlMs: number, abandonedNodes: readonly string[] = []): Promise<void> {
    const holder = await this.store.claimPlayer(playerId, holderId, ttlMs);
    if (holder === null) return;
    if (holder.startsWith(PLACEMENT_ID_PREFIX)) throw new AppError('PLACEMENT_IN_PROGRESS', undefined, { placementId: holder });
    if (!(await this.#sessionHoldsPlayer(holder, abandonedNodes)) && (await this.store.claimPlayer(playerId, holderId, ttlMs, holder)) === null) return;
    throw new AppError('SESSION_IN_PROGRESS', `You already have a game session (${holder}); end it before starting another.`, { sessionId: holder });
  }

  /** Passes the claim from a placement to the session it placed; false if the placement no longer held it. */
  async handOver(playerId: string, placementId: string, sessionId: string, ttlMs: number): Promise<boolean> {
    return (await this.store.claimPlayer(playerId, sessionId, ttlMs, placementId)) === null;
  }

  /** Keeps the claim for `holderId` for `ttlMs` from now, if it still holds it. */
  async extend(playerId: string, holderId: string, ttlMs: number): Promise<void> {
    await this.store.claimPlayer(playerId, holderId, ttlMs);
  }

  async release(playerId: string, holderId: string): Promise<void> {
    await this.store.releasePlayer(playerId, holderId);
  }

  /**
   * Whether a session still holds its player: one being opened (no record yet) does, one ended,
   * one whose reservation lapsed unused, one on a node the player saw fail, and one whose node is
   * no longer live do not.
   */
  async #sessionHoldsPlayer(sessionId: string, abandonedNodes: readonly string[]): Promise<boolean> {
    const record = await this.store.getSession(sessionId);
    if (record === null) return true;
    if (record.state === 'ended' || abandonedNodes.includes(record.nodeId)) return false;
    if (record.state === 'reserved' && record.reservationExpiresAt <= Date.now()) return false;
    return (await this.store.getNode(record.nodeId)) !== null;
  }
}
