/**
 * When a node's heartbeats list its cached builds: after a change, again and again until one is
 * acknowledged, and never again once the control plane has heard the current set.
 */
import { describe, expect, it } from 'vitest';
import { CachedBuildsReport } from '../../../edge-node/control-plane/cached-builds-report.js';
import { MAX_REPORTED_BUILDS } from '../../../protocol/http.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

function cache(initial: string[] = []): { held: string[]; report: CachedBuildsReport } {
  const state = { held: initial, report: undefined as unknown as CachedBuildsReport };
  state.report = new CachedBuildsReport(() => [...state.held]);
  return state;
}

describe('cached builds report', () => {
  it('lists nothing while the control plane has heard the set, the whole set after a change', () => {
    const node = cache([A]);
    // The registration lists what the node started with and counts as heard.
    const registered = node.report.snapshot();
    expect(registered.builds).toEqual([A]);
    registered.acknowledge();
    expect(node.report.pending()).toBeUndefined();

    node.held.push(B);
    node.report.changed();
    expect(node.report.pending()?.builds).toEqual([A, B]);
  });

  it('repeats the list in every heartbeat until one is acknowledged: a lost heartbeat or ack loses nothing', () => {
    const node = cache([A]);
    node.report.changed();
    // Sent, but the heartbeat (or its ack) was lost: nothing acknowledged.
    expect(node.report.pending()?.builds).toEqual([A]);
    const retried = node.report.pending();
    expect(retried?.builds).toEqual([A]);
    retried?.acknowledge();
    expect(node.report.pending()).toBeUndefined();
  });

  it('keeps a change made while a heartbeat was in flight for the next one, whatever order acks arrive in', () => {
    const node = cache([A]);
    node.report.changed();
    const older = node.report.pending()!;
    // The cache evicts A while that heartbeat travels.
    node.held = [];
    node.report.changed();
    older.acknowledge();
    const newer = node.report.pending()!;
    expect(newer.builds).toEqual([]);
    newer.acknowledge();
    expect(node.report.pending()).toBeUndefined();
    // A late ack of an even older list does not bring the report back or hide a new change.
    older.acknowledge();
    expect(node.report.pending()).toBeUndefined();
  });

  it('lists no more builds than the protocol allows', () => {
    const node = cache(Array.from({ length: MAX_REPORTED_BUILDS + 10 }, (_, i) => i.toString(16).padStart(64, '0')));
    node.report.changed();
    expect(node.report.pending()?.builds).toHaveLength(MAX_REPORTED_BUILDS);
  });
});
