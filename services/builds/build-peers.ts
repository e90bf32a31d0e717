/**
 * Answers a node that needs a build with the live nodes near it that hold it (the registry knows
 * each node's cached builds), nearest first and those with a free slot before busy ones, and a
 * peer fetch token (protocol/build-peers.ts) that lets it download from exactly those, for a few
 * minutes, with its own key. Nodes a checker suspended are not named (the search skips them).
 */
import { MAX_BUILD_PEERS, PEER_FETCH_TOKEN_ISSUER, type BuildPeers, type PeerFetchTokenClaims } from '../../protocol/build-peers.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { CandidateQuery, CandidateSearchResult, NearbyNode } from '../matchmaker/candidate-search.js';
import type { StoredNode } from '../store/store.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';

/** Nearest nodes that can run the game looked at for holders: "nearby" means among these. */
const PEER_SEARCH_SIZE = 16;
/** Long enough for a large build's download and its resumptions; a later fetch asks again. */
export const PEER_FETCH_TOKEN_TTL_MS = 10 * 60_000;

export interface BuildPeerFinderOptions {
  catalogue: Catalogue;
  tickets: TicketIssuer;
  findCandidates: (query: CandidateQuery) => Promise<CandidateSearchResult>;
}

export class BuildPeerFinder {
  readonly #options: BuildPeerFinderOptions;

  constructor(options: BuildPeerFinderOptions) {
    this.#options = options;
  }

  async peersFor(requester: StoredNode, buildId: string): Promise<BuildPeers> {
    // A build no catalogue game runs any more is fetched from the origin: no search can rank its holders.
    const game = this.#options.catalogue.list().find((candidate) => candidate.buildId === buildId);
    if (game === undefined) return { buildId, peers: [] };
    const { available, full } = await this.#options.findCandidates({ location: requester.location, game, k: PEER_SEARCH_SIZE });
    const holders = (nodes: NearbyNode[]): NearbyNode[] => nodes.filter((node) => node.buildCached && node.nodeId !== requester.nodeId);
    const peers = [...holders(available), ...holders(full)].slice(0, MAX_BUILD_PEERS);
    if (peers.length === 0) return { buildId, peers: [] };
    const claims: Omit<PeerFetchTokenClaims, 'iat'> = {
      iss: PEER_FETCH_TOKEN_ISSUER,
      aud: peers.map((peer) => peer.nodeId),
      sub: requester.nodeId,
      bid: buildId,
      key: requester.publicKey,
      exp: Math.floor((Date.now() + PEER_FETCH_TOKEN_TTL_MS) / 1000),
    };
    return { buildId, peers: peers.map((peer) => ({ nodeId: peer.nodeId, url: peer.signallingUrl })), token: this.#options.tickets.sign(claims) };
  }
}
