/**
 * The operator map: each node's H3 cell (coarse, so a rig's exact place is not published) drawn
 * as an SVG polygon. Longitude and latitude are projected equirectangularly, scaled to fit the
 * cells' bounds with a margin.
 */
import { cellToBoundary, latLngToCell } from 'h3-js';
import type { GeoPoint } from '../../../protocol/http.js';

/** H3 resolution 4: hexagons about 22 km across. */
export const MAP_RESOLUTION = 4;

export interface MapNode {
  nodeId: string;
  location: GeoPoint;
  state: string;
}

export interface HexShape {
  cell: string;
  /** The SVG polygon's points attribute, in the view box's units. */
  points: string;
  /** The nodes in this cell. */
  nodeIds: string[];
  /** The worst state among them, which colours the cell. */
  state: string;
}

const STATE_ORDER = ['live', 'offline', 'suspended'];

export function hexMap(nodes: readonly MapNode[], width: number, height: number, margin = 0.15): HexShape[] {
  const cells = new Map<string, MapNode[]>();
  for (const node of nodes) {
    const cell = latLngToCell(node.location.lat, node.location.lng, MAP_RESOLUTION);
    cells.set(cell, [...(cells.get(cell) ?? []), node]);
  }
  const boundaries = [...cells.keys()].map((cell) => ({ cell, ring: cellToBoundary(cell) }));
  const all = boundaries.flatMap((b) => b.ring);
  if (all.length === 0) return [];
  const lats = all.map(([lat]) => lat);
  const lngs = all.map(([, lng]) => lng);
  const [minLat, maxLat, minLng, maxLng] = [Math.min(...lats), Math.max(...lats), Math.min(...lngs), Math.max(...lngs)];
  const spanLat = Math.max(maxLat - minLat, 1e-6) * (1 + 2 * margin);
  const spanLng = Math.max(maxLng - minLng, 1e-6) * (1 + 2 * margin);
  const scale = Math.min(width / spanLng, height / spanLat);
  const centerLat = (minLat + maxLat) / 2;
  const centerLng = (minLng + maxLng) / 2;
  const project = ([lat, lng]: number[]): string => `${round(width / 2 + (lng! - centerLng) * scale)},${round(height / 2 - (lat! - centerLat) * scale)}`;
  return boundaries.map(({ cell, ring }) => {
    const members = cells.get(cell)!;
    const state = members.map((n) => n.state).sort((a, b) => STATE_ORDER.indexOf(b) - STATE_ORDER.indexOf(a))[0]!;
    return { cell, points: ring.map(project).join(' '), nodeIds: members.map((n) => n.nodeId), state };
  });
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
