/**
 * The round-trip time a player can expect to a node they could not probe, from distance alone.
 *
 *   rtt = 2 * distance * ROUTE_INFLATION / FIBRE_SPEED + LAST_MILE
 *
 * Light in fibre travels at about 2/3 c (refractive index ~1.47), ~200 km per ms. Fibre does not
 * follow great circles: measured Internet paths run about 1.5x to 2x the geodesic distance
 * (routing through exchange points, cable landings), so distance is inflated by 1.7. The last mile
 * (home Wi-Fi, DSL/cable/4G access, the node's own uplink) adds a roughly distance-independent
 * few milliseconds each way, counted here as 10 ms per round trip. The estimate only stands in for
 * a measurement, so it errs on the pessimistic side: a probed node is preferred over a guess.
 */
const SPEED_OF_LIGHT_KM_PER_MS = 299_792.458 / 1000;
export const FIBRE_SPEED_KM_PER_MS = (SPEED_OF_LIGHT_KM_PER_MS * 2) / 3;
export const ROUTE_INFLATION = 1.7;
export const LAST_MILE_RTT_MS = 10;

export function estimateRttMs(distanceKm: number): number {
  return (2 * distanceKm * ROUTE_INFLATION) / FIBRE_SPEED_KM_PER_MS + LAST_MILE_RTT_MS;
}
