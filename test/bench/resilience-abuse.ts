/**
 * The abuse cases of issue 15, for bench:resilience: each run once, bounded in count and time,
 * against the running control plane and edge nodes while the bench's page streams. Each says what
 * the service answered and whether that contained it; the bench's end figures (slots_leaked,
 * records_stuck) then count whatever they left behind.
 */
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCAL_SITE } from '../../infra/local/system.js';
import type { ErrorResponse, GuestToken, SessionCreated } from '../../protocol/http.js';
import type { PlacementOffer, PlacementResult } from '../../protocol/placement.js';
import type { Ack } from '../../protocol/signalling.js';
import { DEFAULT_SESSION_CAPS } from '../../edge-node/session/session-caps.js';
import { DEFAULT_CONNECTION_LIMITS } from '../../edge-node/signalling/connection-guard.js';
import { DEFAULT_RATE_LIMITS } from '../../services/http/rate-limits.js';
import type { SessionRecord } from '../../services/store/store.js';
import { postJson } from '../support/api.js';
import { loadForgedJoinFlood } from '../support/forged-join-flood-process.js';
import { connectSignalling } from '../support/signalling-client.js';

/** Attackers come from other loopback addresses than the honest page, as they would from other hosts. */
const TOKEN_BURST_ADDRESS = '127.0.0.3';
const FLOOD_ADDRESS = '127.0.0.2';
const TOKEN_BURST = 40;
const FLOOD_SOCKETS = 20;
const FLOOD_MS = 4_000;
const SETTLE_TIMEOUT_MS = 15_000;

export interface AbuseOutcome {
  name: string;
  outcome: string;
  contained: boolean;
}

export interface AbuseTarget {
  controlPlaneUrl: string;
  /** The signalling URL of the node the honest page streams from: the flood goes there. */
  honestNodeSignallingUrl: string;
  getSession(sessionId: string): Promise<SessionRecord | null>;
  /** Throws unless the honest page still streams. */
  stillStreaming(): Promise<void>;
}

const code = (ack: Ack<unknown>): string => (ack.ok ? 'OK' : ack.error.code);

async function guest(baseUrl: string): Promise<string> {
  const { status, body } = await postJson<GuestToken>(`${baseUrl}/v1/auth/guest`, {});
  if (status !== 201) throw new Error(`no guest token: ${status}`);
  return body.token;
}

/** The page's flow without probes: an offer near the bench's site, then a choice with no RTTs measured. */
async function place(baseUrl: string, token: string, excludeNodes: string[] = []): Promise<{ status: number; placementId?: string; session?: SessionCreated; code?: string }> {
  const offer = await postJson<PlacementOffer | ErrorResponse>(`${baseUrl}/v1/placements`, { gameId: 'demo-arena', location: LOCAL_SITE, excludeNodes }, token);
  if (offer.status !== 201) return { status: offer.status, code: (offer.body as ErrorResponse).error.code };
  const { placementId, candidates } = offer.body as PlacementOffer;
  const measurements = candidates.map(({ nodeId }) => ({ nodeId, rttMs: null }));
  const chosen = await postJson<PlacementResult>(`${baseUrl}/v1/placements/${placementId}/choice`, { measurements }, token);
  const session = chosen.body.state === 'placed' ? chosen.body.session : undefined;
  return { status: chosen.status, placementId, ...(session === undefined ? {} : { session }) };
}

async function placed(baseUrl: string): Promise<SessionCreated> {
  const { session, status } = await place(baseUrl, await guest(baseUrl));
  if (session === undefined) throw new Error(`not placed: ${status}`);
  return session;
}

/** Waits for the session's record to end (its node reported it): the case left nothing running. */
async function ended(target: AbuseTarget, sessionId: string): Promise<string> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const record = await target.getSession(sessionId);
    if (record?.state === 'ended') return record.endReason ?? 'ended';
    await sleep(250);
  }
  return 'still running';
}

/** One guest token: a second placement while the first holds a slot, then the first kept by naming its node as failed. */
async function oneGuestTwoSlots(target: AbuseTarget): Promise<AbuseOutcome> {
  const url = target.controlPlaneUrl;
  const token = await guest(url);
  const first = await place(url, token);
  if (first.session === undefined) throw new Error(`not placed: ${first.status}`);
  const second = await place(url, token);
  const player = await connectSignalling(first.session.signallingUrl);
  try {
    const joined = code(await player.request('session:join', { ticket: first.session.ticket }));
    const failover = await postJson<PlacementOffer>(`${url}/v1/placements`, { gameId: 'demo-arena', location: LOCAL_SITE, excludeNodes: [first.session.nodeId] }, token);
    const notice = await Promise.race([player.ended, sleep(SETTLE_TIMEOUT_MS, null)]);
    if (failover.status === 201) await fetch(`${url}/v1/placements/${failover.body.placementId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    const reason = await ended(target, first.session.sessionId);
    return {
      name: 'one guest, two slots',
      outcome: `second placement ${second.code ?? second.status}; join ${joined}; failover naming the streaming node ${failover.status}, old stream ended ${notice?.reason ?? 'never'} (record ${reason})`,
      contained: second.code === 'SESSION_IN_PROGRESS' && notice?.reason === 'superseded' && reason === 'superseded',
    };
  } finally {
    player.close();
  }
}

/** Guest tokens asked for all at once from one address, as fast as it can. */
async function guestTokenBurst(target: AbuseTarget): Promise<AbuseOutcome> {
  const { port } = new URL(target.controlPlaneUrl);
  const ask = () =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/auth/guest', method: 'POST', localAddress: TOKEN_BURST_ADDRESS }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      });
      req.once('error', reject);
      req.end();
    });
  const statuses = await Promise.all(Array.from({ length: TOKEN_BURST }, ask));
  const granted = statuses.filter((status) => status === 201).length;
  const limited = statuses.filter((status) => status === 429).length;
  return { name: 'guest-token burst', outcome: `${TOKEN_BURST} asked: ${granted} granted, ${limited} refused 429`, contained: granted <= DEFAULT_RATE_LIMITS.guestTokensPerAddress && granted + limited === TOKEN_BURST };
}

/** A join sent, and the player gone before it is answered. */
async function joinAndVanish(target: AbuseTarget): Promise<AbuseOutcome> {
  const session = await placed(target.controlPlaneUrl);
  const quitter = await connectSignalling(session.signallingUrl);
  (quitter.socket as unknown as { emit(event: string, payload: unknown, ack: () => void): void }).emit('session:join', { ticket: session.ticket }, () => {});
  await sleep(50);
  quitter.close();
  const reason = await ended(target, session.sessionId);
  return { name: 'join, gone before the answer', outcome: `record ${reason}`, contained: reason === 'player_left' || reason === 'ticket_unused' };
}

/** One session asking for more WebRTC transports than its cap. */
async function transportsPastCap(target: AbuseTarget): Promise<AbuseOutcome> {
  const session = await placed(target.controlPlaneUrl);
  const player = await connectSignalling(session.signallingUrl);
  const codes: string[] = [];
  try {
    codes.push(code(await player.request('session:join', { ticket: session.ticket })));
    for (let i = 0; i < DEFAULT_SESSION_CAPS.transports + 3; i++) codes.push(code(await player.request('transport:create', { direction: i % 2 === 0 ? 'send' : 'recv' })));
  } finally {
    player.close();
  }
  const refused = codes.filter((c) => c === 'SESSION_RESOURCE_LIMIT').length;
  const reason = await ended(target, session.sessionId);
  return {
    name: 'transports past the cap',
    outcome: `${codes.length - 1} asked: ${codes.length - 1 - refused} created, ${refused} refused SESSION_RESOURCE_LIMIT; record ${reason}`,
    contained: refused === 3 && codes[0] === 'OK' && reason === 'player_left',
  };
}

/** Joins with forged tickets from one address at the honest page's node, for a few seconds; then the real ticket's owner joins. */
async function forgedJoinFlood(target: AbuseTarget): Promise<AbuseOutcome> {
  const session = await placed(target.controlPlaneUrl);
  const attacker = await loadForgedJoinFlood(target.honestNodeSignallingUrl, session.ticket, FLOOD_ADDRESS, FLOOD_SOCKETS);
  attacker.flood(true);
  await sleep(FLOOD_MS);
  const flood = await attacker.end();
  await target.stillStreaming();
  const owner = await connectSignalling(session.signallingUrl);
  const joined = code(await owner.request('session:join', { ticket: session.ticket }));
  owner.close();
  const reason = await ended(target, session.sessionId);
  const checked = flood.answers['TICKET_INVALID'] ?? 0;
  return {
    name: 'forged-join flood',
    outcome: `${flood.sent} joins on ${FLOOD_SOCKETS} sockets, ${flood.refusedConnections} connections refused, answers ${JSON.stringify(flood.answers)}; owner join ${joined}, record ${reason}`,
    contained: flood.answers['JOINED'] === undefined && checked <= DEFAULT_CONNECTION_LIMITS.failedJoinsPerWindow && joined === 'OK' && reason === 'player_left',
  };
}

/** Runs every case in turn, checking after each that the honest page still streams. */
export async function runAbuseCases(target: AbuseTarget): Promise<AbuseOutcome[]> {
  const outcomes: AbuseOutcome[] = [];
  for (const abuse of [oneGuestTwoSlots, guestTokenBurst, joinAndVanish, transportsPastCap, forgedJoinFlood]) {
    const outcome = await abuse(target);
    await target.stillStreaming();
    console.log(`abuse: ${outcome.name}: ${outcome.outcome}${outcome.contained ? '' : ' (NOT CONTAINED)'}`);
    outcomes.push(outcome);
  }
  return outcomes;
}
