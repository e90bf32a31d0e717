import { describe, expect, it } from 'vitest';
import type { GeoPoint } from '../../../protocol/http.js';
import { indexCells, searchStep } from '../../../services/matchmaker/cell-index.js';
import { distanceKm } from '../../../services/matchmaker/great-circle.js';
import { IndexReplica } from '../../../services/store/index-replica.js';
import type { NearbyQuery } from '../../../services/store/store.js';

const NOW = 1_000_000;
const BUILD = 'b'.repeat(64);

/** An index entry as redis-scripts.ts writes it. */
function entry(location: GeoPoint, options: { liveUntil?: number; slots?: number; busy?: number; reservations?: number[]; builds?: string[]; reputation?: string } = {}): string {
  const { liveUntil = NOW + 60_000, slots = 2, busy = 0, reservations = [], builds = [], reputation = '' } = options;
  const summary = { location, gpuModel: 'RTX 4090', vramMb: 24_576, encoders: ['h264'], pricePerHour: 0.5, signallingUrl: 'http://127.0.0.1:1' };
  return [liveUntil, slots, busy, reputation, reservations.join(','), builds.join(','), JSON.stringify(summary)].join('\t');
}

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function query(center: GeoPoint, radiusKm: number, perCellLimit: number): NearbyQuery {
  return { cells: searchStep(center, radiusKm).cells, center, radiusKm, perCellLimit, buildId: BUILD, equivalentKm: 0 };
}

describe('index replica', () => {
  it("returns each cell's nearest nodes within the radius exactly as a scan of every node does, however they crowd", () => {
    const next = random(7);
    const replica = new IndexReplica();
    const nodes = new Map<string, { location: GeoPoint; cells: string[] }>();
    // Western Europe, with cities where many nodes share one point, as geoip places them.
    const cities = Array.from({ length: 12 }, () => ({ lat: 43 + next() * 10, lng: -2 + next() * 14 }));
    for (let i = 0; i < 3_000; i++) {
      const location = i % 3 === 0 ? cities[i % cities.length]! : { lat: 43 + next() * 10, lng: -2 + next() * 14 };
      nodes.set(`n${i}`, { location, cells: indexCells(location) });
      replica.apply(`n${i}`, entry(location));
    }

    for (let trial = 0; trial < 60; trial++) {
      const center = { lat: 44 + next() * 8, lng: next() * 12 };
      const radiusKm = [25, 100, 400, 1_500][trial % 4]!;
      const limit = [1, 8, 24, 200][trial % 4]!;
      const found = replica.nearby(query(center, radiusKm, limit), NOW);

      for (const cell of searchStep(center, radiusKm).cells) {
        const inCell = [...nodes]
          .filter(([, node]) => node.cells.includes(cell))
          .map(([nodeId, node]) => ({ nodeId, distanceKm: distanceKm(center, node.location) }))
          .filter((node) => node.distanceKm <= radiusKm)
          .sort((a, b) => a.distanceKm - b.distanceKm);
        const returned = found.nodes.filter((node) => node.cell === cell);
        expect(returned.length).toBe(Math.min(limit, inCell.length));
        // Ties at the cut may be any of the tied nodes: compare distances, not ids.
        expect(returned.map((node) => node.distanceKm)).toEqual(inCell.slice(0, limit).map((node) => node.distanceKm));
        if (inCell.length >= limit) expect(found.completeKm).toBeLessThanOrEqual(returned.at(-1)!.distanceKm);
      }
      const distances = found.nodes.map((node) => node.distanceKm);
      expect(distances).toEqual([...distances].sort((a, b) => a - b));
      if (found.completeKm < radiusKm) expect(found.nodes.length).toBeGreaterThanOrEqual(limit);
    }
  });

  it('summarises a node from its latest entry: live reservations, busy slots, reputation and cached builds', () => {
    const replica = new IndexReplica();
    const paris = { lat: 48.8566, lng: 2.3522 };
    replica.apply('n1', entry(paris, { slots: 4, busy: 1, reservations: [NOW + 5_000, NOW - 1], builds: [BUILD], reputation: '0.9' }));
    const summary = replica.nearby(query(paris, 10, 5), NOW).nodes[0]?.summary;
    expect(summary).toMatchObject({ nodeId: 'n1', location: paris, reputation: 0.9, buildCached: true, slots: { capacity: 4, reserved: 1, busy: 1, free: 2 } });

    replica.apply('n1', entry(paris, { slots: 4 }));
    expect(replica.nearby(query(paris, 10, 5), NOW).nodes[0]?.summary).toMatchObject({ reputation: 0.8, buildCached: false, slots: { free: 4 } });
  });

  it('moves a node that registers elsewhere, and counts the nodes of each of its cells', () => {
    const replica = new IndexReplica();
    const paris = { lat: 48.8566, lng: 2.3522 };
    const madrid = { lat: 40.4168, lng: -3.7038 };
    replica.apply('n1', entry(paris));
    replica.apply('n2', entry(paris));
    expect(replica.counts(indexCells(paris))).toEqual([2, 2, 2]);

    replica.apply('n1', entry(madrid));
    expect(replica.counts(indexCells(paris))).toEqual([1, 1, 1]);
    expect(replica.counts(indexCells(madrid))).toEqual([1, 1, 1]);
    expect(replica.nearby(query(paris, 50, 10), NOW).nodes.map((node) => node.nodeId)).toEqual(['n2']);
    expect(replica.nearby(query(madrid, 50, 10), NOW).nodes.map((node) => node.nodeId)).toEqual(['n1']);
    expect(replica.size).toBe(2);
  });

  it('shows a lapsed node without a summary until it is dropped, and drops only nodes that have lapsed', () => {
    const replica = new IndexReplica();
    const paris = { lat: 48.8566, lng: 2.3522 };
    replica.apply('live', entry(paris));
    replica.apply('lapsed', entry(paris, { liveUntil: NOW - 1 }));
    const found = replica.nearby(query(paris, 10, 5), NOW).nodes;
    expect(found.find((node) => node.nodeId === 'lapsed')?.summary).toBeNull();
    expect(found.find((node) => node.nodeId === 'live')?.summary).not.toBeNull();

    expect(replica.dropLapsed(NOW, ['live', 'unknown'])).toEqual([]);
    expect(replica.dropLapsed(NOW)).toEqual([{ nodeId: 'lapsed', cells: indexCells(paris) }]);
    expect(replica.nearby(query(paris, 10, 5), NOW).nodes.map((node) => node.nodeId)).toEqual(['live']);
    expect(replica.counts(indexCells(paris))).toEqual([1, 1, 1]);
  });
});
