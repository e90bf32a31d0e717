import { cellToLatLng, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { hexMap, MAP_RESOLUTION } from '../../../web-client/src/lib/hex-map.js';
import { bars, cumulativeLine } from '../../../web-client/src/lib/svg-chart.js';

const BERLIN = { lat: 52.52, lng: 13.405 };
const MUNICH = { lat: 48.14, lng: 11.58 };

describe('the operator map', () => {
  it('draws one hexagon per H3 cell inside the view box, coloured by the worst state of its nodes', () => {
    const shapes = hexMap(
      [
        { nodeId: 'a', location: BERLIN, state: 'live' },
        { nodeId: 'b', location: BERLIN, state: 'suspended' },
        { nodeId: 'c', location: MUNICH, state: 'live' },
      ],
      600,
      320,
    );
    expect(shapes).toHaveLength(2);
    const berlin = shapes.find((s) => s.nodeIds.includes('a'))!;
    expect(berlin).toMatchObject({ cell: latLngToCell(BERLIN.lat, BERLIN.lng, MAP_RESOLUTION), nodeIds: ['a', 'b'], state: 'suspended' });
    expect(shapes.find((s) => s.nodeIds.includes('c'))!.state).toBe('live');
    for (const shape of shapes) {
      const points = shape.points.split(' ').map((p) => p.split(',').map(Number));
      expect(points.length).toBeGreaterThanOrEqual(6);
      for (const [x, y] of points) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(600);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(320);
      }
    }
    // North is up: Berlin's hexagon is drawn above Munich's.
    const centreY = (points: string) => points.split(' ').reduce((sum, p) => sum + Number(p.split(',')[1]), 0) / points.split(' ').length;
    expect(centreY(berlin.points)).toBeLessThan(centreY(shapes.find((s) => s.nodeIds.includes('c'))!.points));
    expect(cellToLatLng(berlin.cell)[0]).toBeCloseTo(BERLIN.lat, 0);
    expect(hexMap([], 600, 320)).toEqual([]);
  });
});

describe('operator charts', () => {
  it('scales bars to the largest value and leaves gaps for missing ones', () => {
    const drawn = bars([10, null, 20], 300, 60, 0);
    expect(drawn).toEqual([
      { x: 0, y: 30, width: 100, height: 30, value: 10 },
      { x: 200, y: 0, width: 100, height: 60, value: 20 },
    ]);
  });

  it('draws the running total from zero to the top', () => {
    expect(cumulativeLine([1, 3], 200, 40)).toBe('0,40 100,30 200,0');
  });
});
