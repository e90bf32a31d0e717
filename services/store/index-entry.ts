/**
 * A node's index entry (the text redis-scripts.ts's INDEX_ENTRY writes), decoded: what a search
 * needs to know of a node, read by the Redis search and kept by each instance's index replica.
 */
import { DEFAULT_NODE_REPUTATION, slotCounts, type NodeSummary } from './store.js';

/** The summary fields that change only when the node registers again. */
export type StoredSummary = Pick<NodeSummary, 'location' | 'gpuModel' | 'vramMb' | 'encoders' | 'pricePerHour' | 'signallingUrl'>;

export interface DecodedIndexEntry {
  /** Server time (ms) when the node lapses unless it heartbeats. */
  liveUntil: number;
  registeredSlots: number;
  busy: number;
  reputation: number;
  /** When each reservation lapses (server ms). */
  reservationExpiries: number[];
  builds: string[];
  /** The summary JSON as stored: an unchanged one need not be parsed again. */
  summaryJson: string;
  summary: StoredSummary;
}

/** Until when the entry shows its node live, read without decoding the rest. */
export function entryLiveUntil(entry: string): number {
  return Number(entry.slice(0, entry.indexOf('\t')));
}

/** Decodes an entry; `previous`, an earlier decoding of the same node, lends its parsed summary when the JSON is unchanged. */
export function decodeIndexEntry(entry: string, previous?: DecodedIndexEntry): DecodedIndexEntry {
  const fields = entry.split('\t', 6);
  const summaryJson = entry.slice(fields.reduce((length, field) => length + field.length + 1, 0));
  const [liveUntil = '0', slots = '0', busy = '0', reputation = '', expiries = '', builds = ''] = fields;
  return {
    liveUntil: Number(liveUntil),
    registeredSlots: Number(slots),
    busy: Number(busy),
    reputation: reputation === '' ? DEFAULT_NODE_REPUTATION : Number(reputation),
    reservationExpiries: expiries === '' ? [] : expiries.split(',').map(Number),
    builds: builds === '' ? [] : builds.split(','),
    summaryJson,
    summary: previous?.summaryJson === summaryJson ? previous.summary : (JSON.parse(summaryJson) as StoredSummary),
  };
}

/** The node as the entry describes it at server time `now`; `buildCached` answers for `buildId`. */
export function entrySummary(nodeId: string, entry: DecodedIndexEntry, buildId: string, now: number): NodeSummary {
  let reserved = 0;
  for (const expiry of entry.reservationExpiries) if (expiry > now) reserved++;
  const { location, gpuModel, vramMb, encoders, pricePerHour, signallingUrl } = entry.summary;
  // Named rather than spread: a search makes dozens of these.
  return {
    nodeId,
    location,
    gpuModel,
    vramMb,
    encoders,
    pricePerHour,
    signallingUrl,
    reputation: entry.reputation,
    slots: slotCounts(entry.registeredSlots, reserved, entry.busy),
    buildCached: buildId !== '' && entry.builds.includes(buildId),
  };
}
