import type { GeoPoint } from '../../protocol/http.js';

/** The mean Earth radius (IUGG). */
export const EARTH_RADIUS_KM = 6371.0088;
/** No two points on Earth are farther apart than this along its surface. */
export const HALF_EARTH_CIRCUMFERENCE_KM = Math.PI * EARTH_RADIUS_KM;

const RADIANS_PER_DEGREE = Math.PI / 180;

/** Great-circle distance (haversine): within 0.5% of the ellipsoid, far below what RTT can tell apart. */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = (b.lat - a.lat) * RADIANS_PER_DEGREE;
  const dLng = (b.lng - a.lng) * RADIANS_PER_DEGREE;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RADIANS_PER_DEGREE) * Math.cos(b.lat * RADIANS_PER_DEGREE) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
