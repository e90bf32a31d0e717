import type { GeoPoint } from '../../protocol/http.js';

/** The mean Earth radius (IUGG). */
export const EARTH_RADIUS_KM = 6371.0088;
/** No two points on Earth are farther apart than this along its surface. */
export const HALF_EARTH_CIRCUMFERENCE_KM = Math.PI * EARTH_RADIUS_KM;

const RADIANS_PER_DEGREE = Math.PI / 180;

/** Great-circle distance (haversine): within 0.5% of the ellipsoid, far below what RTT can tell apart. */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  return haversineKm(a.lat, a.lng, Math.cos(a.lat * RADIANS_PER_DEGREE), b.lat, b.lng, Math.cos(b.lat * RADIANS_PER_DEGREE));
}

/** Kilometres along a meridian per degree of latitude: no two points are nearer than their latitudes' difference. */
export const KM_PER_DEGREE_OF_LATITUDE = EARTH_RADIUS_KM * RADIANS_PER_DEGREE;

/** distanceKm, for callers that keep each point's latitude cosine (the costly part) rather than work it out per pair. */
export function haversineKm(latA: number, lngA: number, cosLatA: number, latB: number, lngB: number, cosLatB: number): number {
  const dLat = (latB - latA) * RADIANS_PER_DEGREE;
  const dLng = (lngB - lngA) * RADIANS_PER_DEGREE;
  const h = Math.sin(dLat / 2) ** 2 + cosLatA * cosLatB * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The cosine of a latitude in degrees, as haversineKm takes it. */
export function latitudeCosine(lat: number): number {
  return Math.cos(lat * RADIANS_PER_DEGREE);
}
