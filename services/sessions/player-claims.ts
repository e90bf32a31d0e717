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
 * session there no longer holds the player, and is ended (`superseded`) as the claim passes on, so
 * naming a node that still streams to the player cannot win them a second session: the node is
 * told to end it with its next heartbeat (session-reconciler.ts). Only the player's own session
 * can be ended so: a claim names the one session of the player whose token asks.
 */
import { AppError } from '../../protocol/errors.js';
import type { Store } from '../store/store.js';

/** Placement ids start so (services/matchmaker/matchmaker.ts); session ids start with 's'. */
const PLACEMENT_ID_PREFIX = 'pl';

export class PlayerClaims {
  /** `supersede` ends a session whose player was let go from it to be placed elsewhere. */
  constructor(
    private readonly store: Store,
    private readonly supersede: (sessionId: string) => Promise<void>,
  ) {}

  /**
   * Claims the player for `holderId` (a placement or a session) for `ttlMs`, or says what holds
   * them; a session on one of `abandonedNodes` (the player's page saw it fail) does not.
   */
  async claim(playerId: string, holderId: string, ttlMs: number, abandonedNodes: readonly string[] = []): Promise<void> {
    const holder = await this.store.claimPlayer(playerId, holderId, ttlMs);
    if (holder === null) return;
    if (holder.startsWith(PLACEMENT_ID_PREFIX)) throw new AppError('PLACEMENT_IN_PROGRESS', undefined, { placementId: holder });
    const hold = await this.#sessionHold(holder, abandonedNodes);
    if (hold !== 'holds' && (await this.store.claimPlayer(playerId, holderId, ttlMs, holder)) === null) {
      if (hold === 'abandoned') await this.supersede(holder);
      return;
    }
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
   * Whether a session still holds its player: one being opened (no record yet) does; one on a node
   * the player saw fail is `abandoned`; one ended, one whose reservation lapsed unused, and one
   * whose node is no longer live are `gone`.
   */
  async #sessionHold(sessionId: string, abandonedNodes: readonly string[]): Promise<'holds' | 'abandoned' | 'gone'> {
    const record = await this.store.getSession(sessionId);
    if (record === null) return 'holds';
    if (record.state === 'ended') return 'gone';
    if (abandonedNodes.includes(record.nodeId)) return 'abandoned';
    if (record.state === 'reserved' && record.reservationExpiresAt <= Date.now()) return 'gone';
    return (await this.store.getNode(record.nodeId)) === null ? 'gone' : 'holds';
  }
}
