/**
 * The matchmaker: offers a player the nodes nearest them that can run their game, takes the RTTs
 * their page measured to each, and places them on the best one, or queues them until a slot frees
 * within their latency bound. Everything it knows lives in the store, so any instance can take any
 * step of any placement, and a slot is only ever taken by the store's atomic reservation.
 *
 *   offer   -> placement 'offered' (the player is claimed: one placement at a time)
 *   choose  -> 'choosing' (one request at a time) -> 'placed' (session + ticket) or 'queued'
 *   poll    -> a queued player's place; the head of the queue is re-placed -> 'placed' or 'queued'
 *   cancel  -> 'cancelled' (leaves the queue)
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../../protocol/errors.js';
import type { Game, GeoPoint, SessionCreated } from '../../protocol/http.js';
import type { PlayerUsageKey } from '../../protocol/metering.js';
import {
  MAX_RTT_MS,
  type PlacementChoice,
  type PlacementOffer,
  type PlacementRequest,
  type PlacementResult,
  type RttMeasurement,
} from '../../protocol/placement.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { Logger } from '../logging/logger.js';
import type { ControlPlaneMetrics } from '../metrics/metrics.js';
import { newSessionId, type SessionService } from '../sessions/session-service.js';
import type { NodeSummary, PlacementRecord, PlacementState, Store } from '../store/store.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';
import { canRun, DEFAULT_SEARCH_LIMITS, findCandidates, type CandidateQuery, type CandidateSearchLimits, type CandidateSearchResult } from './candidate-search.js';
import { CellDensities } from './cell-densities.js';
import type { GeoLocator } from './geo-locator.js';
import { distanceKm } from './great-circle.js';
import { estimateRttMs } from './latency-estimate.js';
import { PlacementQueue, type QueuePolicy } from './placement-queue.js';
import { issueProbeToken } from './probe-tokens.js';
import { rankByScore, type ScoreInput } from './score.js';

/**
 * Nodes an offer names for the page to probe. Nodes at the same distance differ by their own
 * network (uplink, peering), which only a probe sees: in the placement benchmark's 100,000-node
 * world the best of the 5 nearest was within 5 ms of the player's best node for 70% of players,
 * of the 10 nearest for 92%, of the 16 nearest for 97.6%, of the 20 nearest for 98.6%. The page
 * probes them all in parallel.
 */
export const DEFAULT_CANDIDATE_COUNT = 16;

/** Each probe is a tiny request; the page reports the median of five per node. */
const PROBES_PER_CANDIDATE = 5;
/** Probing takes a second or two; a token that outlives that is only useful to someone misusing it. */
const PROBE_TOKEN_TTL_MS = 30_000;
/** The player stays claimed a little past the offer's (or the reservation's) expiry, so a step taken at the last moment completes. */
const CLAIM_MARGIN_MS = 5_000;
/** Placements stay readable this long after they end or lapse, so late requests get a precise answer. */
const PLACEMENT_RECORD_GRACE_MS = 10 * 60_000;
/**
 * Queued players this near the head try to be placed when they poll, each only if there are at
 * least as many free slots within their bound as their position: several slots freeing at once are
 * filled in one round of polls, yet nobody takes a slot someone ahead of them could have.
 */
const PLACING_WINDOW = 16;

export interface MatchmakerOptions {
  store: Store;
  catalogue: Catalogue;
  sessions: SessionService;
  tickets: TicketIssuer;
  geoLocator: GeoLocator;
  metrics: ControlPlaneMetrics;
  log: Logger;
  /** How many nodes an offer names for the page to probe (K). */
  candidateCount: number;
  /** How long a player has to report measurements after an offer. */
  offerTtlMs: number;
  reservationTtlMs: number;
  queue: QueuePolicy;
  searchLimits?: CandidateSearchLimits;
  /** Hears each player placed, and where they are (build demand: services/builds/build-prefetch.ts). */
  onPlaced?: (game: Game, location: GeoPoint) => void;
}

/** A node the player could be placed on now, and the RTT to judge it by. */
interface Option {
  node: NodeSummary;
  rttMs: number;
}

export class Matchmaker {
  readonly #options: MatchmakerOptions;
  readonly #queue: PlacementQueue;
  readonly #log: Logger;
  readonly #densities = new CellDensities();

  constructor(options: MatchmakerOptions) {
    this.#options = options;
    this.#queue = new PlacementQueue(options.store, options.queue);
    this.#log = options.log.child({ component: 'matchmaker' });
  }

  /** The nearest nodes that can run the game, with and without a free slot. */
  async findCandidates(query: CandidateQuery): Promise<CandidateSearchResult> {
    return findCandidates(this.#options.store, query, { limits: this.#options.searchLimits ?? DEFAULT_SEARCH_LIMITS, densities: this.#densities });
  }

  async offer(playerId: string, request: PlacementRequest, clientIp: string): Promise<PlacementOffer> {
    const { store, catalogue, geoLocator, tickets, candidateCount, offerTtlMs } = this.#options;
    const game = catalogue.get(request.gameId);
    const location = await geoLocator.locate({ coordinates: request.location, ip: clientIp });
    const placementId = `pl${randomBytes(12).toString('hex')}`;
    // A page failing over from a node that died asks to be placed anywhere but there; its session
    // there, which the node's TTL has not ended yet, does not hold the player.
    const excluded = request.excludeNodes ?? [];
    await this.#options.sessions.claims.claim(playerId, placementId, offerTtlMs + CLAIM_MARGIN_MS, excluded);
    try {
      const found = await this.findCandidates({ location, game, k: candidateCount + excluded.length });
      // Full nodes are offered after the free ones: should the player queue, their measured RTTs
      // are what the queue places them by once one of those nodes frees a slot.
      const nodes = [...found.available, ...found.full].filter((node) => !excluded.includes(node.nodeId)).slice(0, candidateCount);
      if (nodes.length === 0) {
        this.#options.metrics.placementsFailed.inc();
        throw new AppError('NO_CAPACITY', 'No edge node can run this game right now.');
      }
      const createdAt = Date.now();
      const expiresAt = createdAt + offerTtlMs;
      const candidates = nodes.map((node) => ({
        nodeId: node.nodeId,
        probeUrl: `${node.signallingUrl.replace(/\/+$/, '')}/probe`,
        distanceKm: roundTenth(node.distanceKm),
        estimatedRttMs: roundTenth(estimateRttMs(node.distanceKm)),
      }));
      const nodeIds = candidates.map((candidate) => candidate.nodeId);
      const probeToken = issueProbeToken(tickets, { placementId, playerId, nodeIds, expiresAt: Math.min(expiresAt, createdAt + PROBE_TOKEN_TTL_MS) });
      const record: PlacementRecord = { placementId, playerId, gameId: game.id, location, candidates, state: 'offered', createdAt, expiresAt };
      if (request.usageKey !== undefined) record.usageKey = request.usageKey;
      if (excluded.length > 0) record.excluded = excluded;
      await store.putPlacement(record, offerTtlMs + PLACEMENT_RECORD_GRACE_MS);
      this.#log.info({ placementId, playerId, gameId: game.id, candidates: nodeIds, radiusKm: Math.round(found.radiusKm) }, 'placement offered');
      return { placementId, candidates, probeToken, probesPerCandidate: PROBES_PER_CANDIDATE, expiresAt };
    } catch (error) {
      await store.releasePlayer(playerId, placementId);
      throw error;
    }
  }

  async choose(playerId: string, placementId: string, choice: PlacementChoice): Promise<PlacementResult> {
    const record = await this.#own(playerId, placementId);
    const rtts = checkMeasurements(record, choice.measurements);
    if (record.state === 'queued') return this.poll(playerId, placementId);
    if (record.state !== 'offered') return settled(record);
    if (record.expiresAt <= Date.now()) throw new AppError('PLACEMENT_EXPIRED');
    const choosing = await this.#options.store.transitionPlacement(placementId, ['offered'], { state: 'choosing', rtts });
    if (choosing === null) throw new AppError('PLACEMENT_IN_PROGRESS');
    return this.#place(choosing, 'offered');
  }

  /** A queued player's standing; players at the head of their queue are placed if a node can take them now. */
  async poll(playerId: string, placementId: string): Promise<PlacementResult> {
    const { store } = this.#options;
    const record = await this.#own(playerId, placementId);
    if (record.state !== 'queued') {
      if (record.state === 'offered' && record.expiresAt <= Date.now()) throw new AppError('PLACEMENT_EXPIRED');
      if (record.state === 'offered') throw new AppError('PLACEMENT_IN_PROGRESS', 'Report your measurements first (POST .../choice).');
      return settled(record);
    }
    const queue = record.queue ?? '';
    const standing = await this.#queue.standing(queue, placementId);
    if (standing === null) {
      // The player stopped polling long enough to lose their place.
      await store.transitionPlacement(placementId, ['queued'], { state: 'cancelled' }, PLACEMENT_RECORD_GRACE_MS);
      await store.releasePlayer(playerId, placementId);
      throw new AppError('PLACEMENT_EXPIRED', 'You stopped polling and left the queue. Ask for a new placement.');
    }
    if (standing.position <= PLACING_WINDOW) {
      const choosing = await store.transitionPlacement(placementId, ['queued'], { state: 'choosing' });
      if (choosing !== null) return this.#place(choosing, 'queued', standing.position);
    }
    await this.#keepQueued(record);
    return this.#queue.view(standing, this.#queue.latencyBoundMs(Date.now() - record.createdAt));
  }

  /**
   * Gives the placement up; a placed one frees its slot at once unless its player has joined the
   * node; one already given up is left as it is.
   */
  async cancel(playerId: string, placementId: string): Promise<void> {
    const { store, sessions } = this.#options;
    const record = await this.#own(playerId, placementId);
    const cancelled = await store.transitionPlacement(placementId, ['offered', 'queued', 'placed'], { state: 'cancelled' }, PLACEMENT_RECORD_GRACE_MS);
    if (cancelled === null) {
      if ((await store.getPlacement(placementId))?.state === 'choosing') throw new AppError('PLACEMENT_IN_PROGRESS');
      return;
    }
    if (record.state === 'placed' && record.session !== undefined) await sessions.giveUpUnjoined(record.session.nodeId, record.session.sessionId);
    else if (record.queue !== undefined) await this.#queue.leave(record.queue, placementId);
    await store.releasePlayer(playerId, placementId);
    this.#log.info({ placementId, playerId }, 'placement cancelled');
  }

  /**
   * POST /v1/sessions, kept for tools and tests that place in one request: the best node by the
   * distance estimate, with no probes, no latency bound and no queue; NO_CAPACITY when all are full.
   */
  async placeImmediately(playerId: string, gameId: string, clientIp: string): Promise<SessionCreated> {
    const { catalogue, geoLocator, candidateCount, metrics, sessions, reservationTtlMs } = this.#options;
    const game = catalogue.get(gameId);
    const location = await geoLocator.locate({ ip: clientIp });
    const sessionId = newSessionId();
    await sessions.claims.claim(playerId, sessionId, reservationTtlMs + CLAIM_MARGIN_MS);
    try {
      const { available } = await this.findCandidates({ location, game, k: candidateCount });
      const session = await this.#reserveBest(
        available.map((node) => ({ node, rttMs: estimateRttMs(node.distanceKm) })),
        playerId,
        game,
        sessionId,
      );
      if (session === null) {
        metrics.placementsFailed.inc();
        this.#log.info({ playerId, gameId }, 'no node has a free slot');
        throw new AppError('NO_CAPACITY');
      }
      this.#options.onPlaced?.(game, location);
      return session;
    } catch (error) {
      await sessions.claims.release(playerId, sessionId);
      throw error;
    }
  }

  /**
   * Places a placement this request holds in 'choosing', or queues it. `from` is the state it came
   * from: a player arriving from an offer joins the end of a non-empty queue rather than overtake
   * it, and a queued player at `position` leaves the first free slots to the players ahead.
   */
  async #place(record: PlacementRecord, from: Extract<PlacementState, 'offered' | 'queued'>, position = 1): Promise<PlacementResult> {
    const { store, catalogue, metrics } = this.#options;
    const log = this.#log.child({ placementId: record.placementId, playerId: record.playerId });
    try {
      const game = catalogue.get(record.gameId);
      const queue = record.queue ?? this.#queue.queueFor(game.id, record.location);
      const boundMs = this.#queue.latencyBoundMs(Date.now() - record.createdAt);
      const overtaking = from === 'offered' && (await this.#queue.hasWaiting(queue));
      const placeable = overtaking ? [] : await this.#placeableNodes(record, game, from === 'queued', boundMs);
      const freeSlots = placeable.reduce((sum, { node }) => sum + node.slots.free, 0);
      const session = freeSlots >= position ? await this.#reserveBest(placeable, record.playerId, game, newSessionId(), record.usageKey) : null;
      if (session !== null) {
        await store.transitionPlacement(record.placementId, ['choosing'], { state: 'placed', session }, PLACEMENT_RECORD_GRACE_MS);
        if (from === 'queued') await this.#queue.leave(queue, record.placementId);
        await this.#options.sessions.claims.handOver(record.playerId, record.placementId, session.sessionId, this.#options.reservationTtlMs + CLAIM_MARGIN_MS);
        log.info({ nodeId: session.nodeId, sessionId: session.sessionId, from }, 'placement placed');
        this.#options.onPlaced?.(game, record.location);
        return { state: 'placed', session };
      }
      const standing = await this.#queue.join(queue, record.placementId);
      if (standing === null) {
        await store.transitionPlacement(record.placementId, ['choosing'], { state: 'cancelled' }, PLACEMENT_RECORD_GRACE_MS);
        await store.releasePlayer(record.playerId, record.placementId);
        metrics.placementsFailed.inc();
        throw new AppError('NO_CAPACITY', 'Every node near you is busy and the queue is full. Try again in a moment.');
      }
      await this.#keepQueued({ ...record, queue }, 'choosing');
      if (from === 'offered') {
        metrics.placementsQueued.inc();
        log.info({ queue, position: standing.position, boundMs }, 'placement queued');
      }
      return this.#queue.view(standing, boundMs);
    } catch (error) {
      // Leave the placement where it came from, so the player can try again rather than wait it out.
      await store.transitionPlacement(record.placementId, ['choosing'], { state: from });
      throw error;
    }
  }

  /**
   * The nodes the player may be placed on now: those offered, judged by the RTT the player measured
   * (the distance estimate where probes failed), and for a player who has been queued also any
   * nearer node that has freed or joined since, judged by its estimate. Only nodes with a free slot
   * within the latency bound count.
   */
  async #placeableNodes(record: PlacementRecord, game: Game, widen: boolean, boundMs: number): Promise<Option[]> {
    const { store, candidateCount } = this.#options;
    const offered = record.candidates.map((candidate) => candidate.nodeId);
    const [summaries, found] = await Promise.all([
      store.nodeSummaries(offered, game.buildId),
      widen ? this.findCandidates({ location: record.location, game, k: candidateCount }) : undefined,
    ]);
    const options = new Map<string, Option>();
    summaries.forEach((summary, i) => {
      if (summary === null) return;
      const measured = record.rtts?.[offered[i] ?? ''];
      const rttMs = measured ?? estimateRttMs(distanceKm(record.location, summary.location));
      options.set(summary.nodeId, { node: summary, rttMs });
    });
    for (const node of found?.available ?? []) {
      if (!options.has(node.nodeId) && !record.excluded?.includes(node.nodeId)) options.set(node.nodeId, { node, rttMs: estimateRttMs(node.distanceKm) });
    }
    return [...options.values()].filter(({ node, rttMs }) => node.slots.free > 0 && rttMs <= boundMs && canRun(node, game.manifest));
  }

  /** Reserves a slot on the best option that still has one when asked: the store decides races. */
  async #reserveBest(options: Option[], playerId: string, game: Game, sessionId: string, usageKey?: PlayerUsageKey): Promise<SessionCreated | null> {
    const { store, sessions, reservationTtlMs } = this.#options;
    for (const { node } of rankByScore(options, scoreInput)) {
      const reservation = await store.reserveSlot(node.nodeId, sessionId, reservationTtlMs);
      if (reservation !== null) return sessions.open({ sessionId, playerId, game, node, reservation, usageKey });
    }
    return null;
  }

  /** Keeps a queued placement, and the player's claim, alive for another entry TTL. */
  async #keepQueued(record: PlacementRecord, from: PlacementState = 'queued'): Promise<void> {
    const { store } = this.#options;
    const ttlMs = this.#queue.entryTtlMs;
    await Promise.all([
      store.transitionPlacement(record.placementId, [from], { state: 'queued', queue: record.queue }, ttlMs + PLACEMENT_RECORD_GRACE_MS),
      store.claimPlayer(record.playerId, record.placementId, ttlMs),
    ]);
  }

  /** Another player's placement does not exist for this one. */
  async #own(playerId: string, placementId: string): Promise<PlacementRecord> {
    const record = await this.#options.store.getPlacement(placementId);
    if (record === null || record.playerId !== playerId) throw new AppError('PLACEMENT_NOT_FOUND');
    return record;
  }
}

/** What the score weighs of an option. */
function scoreInput({ node, rttMs }: Option): ScoreInput & { nodeId: string } {
  return { nodeId: node.nodeId, rttMs, slots: node.slots, buildCached: node.buildCached, reputation: node.reputation, pricePerHour: node.pricePerHour };
}

/** The answer for a placement no request can move any more (or that another request is moving). */
function settled(record: PlacementRecord): PlacementResult {
  if (record.state === 'placed' && record.session !== undefined) return { state: 'placed', session: record.session };
  if (record.state === 'choosing') throw new AppError('PLACEMENT_IN_PROGRESS');
  throw new AppError('PLACEMENT_NOT_FOUND', 'This placement was given up. Ask for a new one.');
}

/** The page's measurements by node, refusing nodes it was not offered and impossible RTTs. */
function checkMeasurements(record: PlacementRecord, measurements: readonly RttMeasurement[]): Record<string, number | null> {
  const offered = new Set(record.candidates.map((candidate) => candidate.nodeId));
  const rtts: Record<string, number | null> = {};
  for (const { nodeId, rttMs } of measurements) {
    if (!offered.has(nodeId)) throw new AppError('RTT_FOR_UNOFFERED_NODE', `Node ${nodeId} was not offered in this placement.`, { nodeId });
    if (rttMs !== null && !(rttMs >= 0 && rttMs <= MAX_RTT_MS)) {
      throw new AppError('RTT_OUT_OF_RANGE', `The RTT to ${nodeId}, ${rttMs} ms, is not between 0 and ${MAX_RTT_MS} ms.`, { nodeId, rttMs });
    }
    if (Object.hasOwn(rtts, nodeId)) throw new AppError('VALIDATION_FAILED', `Node ${nodeId} is measured twice.`, { nodeId });
    rtts[nodeId] = rttMs;
  }
  return rtts;
}

function roundTenth(value: number): number {
  return Math.round(value * 10) / 10;
}
