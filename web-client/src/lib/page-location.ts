/**
 * Where the player is, when the page can know better than their IP address: coordinates in the
 * page's query (`?lat=52.5&lng=13.4`, for links and tests), or the browser's own geolocation.
 */
import type { GeoPoint } from '../../../protocol/http.js';

export function locationFromQuery(search: string): GeoPoint | undefined {
  const params = new URLSearchParams(search);
  // Number('') is 0, a real place: an empty parameter must not become one.
  const coordinate = (name: string): number => Number(params.get(name)?.trim() || Number.NaN);
  const lat = coordinate('lat');
  const lng = coordinate('lng');
  if (!Number.isFinite(lat) || !Number.isFinite(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180) return undefined;
  return { lat, lng };
}

/**
 * Asks the browser, which may ask the player; undefined when refused, unavailable or unanswered.
 * The timer is ours because geolocation's own timeout does not run while the prompt is open.
 */
export function browserLocation(timeoutMs = 30_000): Promise<GeoPoint | undefined> {
  return new Promise((resolve) => {
    if (!('geolocation' in navigator)) {
      resolve(undefined);
      return;
    }
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    const settle = (location: GeoPoint | undefined): void => {
      clearTimeout(timer);
      resolve(location);
    };
    navigator.geolocation.getCurrentPosition(
      ({ coords }) => settle({ lat: coords.latitude, lng: coords.longitude }),
      () => settle(undefined),
      // City precision is all placement needs; the coarse fix comes faster and reveals less.
      { enableHighAccuracy: false, maximumAge: 10 * 60_000 },
    );
  });
}
