import { cellToLatLng, getPentagons, getResolution, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import type { GeoPoint } from '../../../protocol/http.js';
import { expectedReachKm, INDEX_RESOLUTIONS, indexCells, searchStep } from '../../../services/matchmaker/cell-index.js';
import { distanceKm, HALF_EARTH_CIRCUMFERENCE_KM } from '../../../services/matchmaker/great-circle.js';

/** A fixed-seed generator, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

/** The point `km` from `from` at `bearing` radians, along a great circle. */
function travel(from: GeoPoint, bearing: number, km: number): GeoPoint {
  const toRad = Math.PI / 180;
  const [lat1, lng1, angle] = [from.lat * toRad, from.lng * toRad, km / 6371.0088];
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(angle) + Math.cos(lat1) * Math.sin(angle) * Math.cos(bearing));
  const lng2 = lng1 + Math.atan2(Math.sin(bearing) * Math.sin(angle) * Math.cos(lat1), Math.cos(angle) - Math.sin(lat1) * Math.sin(lat2));
  return { lat: lat2 / toRad, lng: ((((lng2 / toRad) + 540) % 360) + 360) % 360 - 180 };
}

describe('cell index', () => {
  it('indexes a node in the cell that contains it at every index resolution', () => {
    const berlin = { lat: 52.52, lng: 13.405 };
    const cells = indexCells(berlin);
    expect(cells.map(getResolution)).toEqual([...INDEX_RESOLUTIONS]);
    expect(cells).toEqual(INDEX_RESOLUTIONS.map((resolution) => latLngToCell(berlin.lat, berlin.lng, resolution)));
  });

  it('reads few coarse cells for a small circle, coarser ones for a wide one, and every cell for the whole Earth', () => {
    const paris = { lat: 48.85, lng: 2.35 };
    const city = searchStep(paris, 25);
    expect(city.resolution).toBe(1);
    expect(city.cells.length).toBeLessThanOrEqual(3);
    expect(city.cells).toContain(indexCells(paris)[1]);
    const continent = searchStep(paris, 2_000);
    expect(continent.resolution).toBe(0);
    expect(continent.cells.length).toBeLessThan(40);
    expect(searchStep(paris, 10_000)).toMatchObject({ resolution: 0, radiusKm: HALF_EARTH_CIRCUMFERENCE_KM });
    expect(searchStep(paris, 10_000).cells).toHaveLength(122);
  });

  it('covers every point within a step\'s radius with the step\'s cells, anywhere, pentagons included', () => {
    const next = random(2024);
    const origins: GeoPoint[] = [];
    for (let i = 0; i < 40; i++) origins.push({ lat: (Math.asin(2 * next() - 1) * 180) / Math.PI, lng: next() * 360 - 180 });
    for (const resolution of [0, 1]) {
      for (const pentagon of getPentagons(resolution)) {
        const [lat, lng] = cellToLatLng(pentagon);
        origins.push(travel({ lat, lng }, next() * 2 * Math.PI, next() * 30));
      }
    }
    let checked = 0;
    for (const origin of origins) {
      for (const radiusKm of [5, 25, 100, 400, 800, 1_500, 5_000]) {
        const step = searchStep(origin, radiusKm);
        const cells = new Set(step.cells);
        for (let i = 0; i < 24; i++) {
          const point = travel(origin, next() * 2 * Math.PI, radiusKm * (0.9 + 0.1 * next()));
          expect(cells.has(latLngToCell(point.lat, point.lng, step.resolution)), `${JSON.stringify(point)} within ${radiusKm} km of ${JSON.stringify(origin)}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it('expects a wider reach where the player\'s cells hold fewer nodes', () => {
    const cells = indexCells({ lat: 40.4, lng: -3.7 });
    const dense = expectedReachKm(cells, [500, 5_000, 50_000], 10);
    const sparse = expectedReachKm(cells, [0, 12, 300], 10);
    const remote = expectedReachKm(cells, [0, 0, 3], 10);
    expect(dense).toBeLessThan(sparse);
    expect(sparse).toBeLessThan(remote);
    expect(expectedReachKm(cells, [0, 0, 0], 10)).toBe(0);
    expect(distanceKm({ lat: 0, lng: 0 }, { lat: 0, lng: 180 })).toBeCloseTo(HALF_EARTH_CIRCUMFERENCE_KM, 6);
  });
});
