/**
 * Where a player is: the coordinates the page sends when it knows them (the browser's geolocation),
 * else the client IP looked up in geoip-lite's city database. Addresses that say nothing about where
 * someone is (private ranges, CGNAT, link-local, loopback) and addresses the database does not know
 * are LOCATION_UNKNOWN, so the page can ask for coordinates instead of being placed at random.
 */
import { BlockList, isIP } from 'node:net';
import { AppError } from '../../protocol/errors.js';
import type { GeoPoint } from '../../protocol/http.js';

type GeoipLookup = typeof import('geoip-lite').lookup;

export interface GeoLocatorOptions {
  /**
   * Where a client on this machine (loopback) is taken to be. The one-machine launcher sets it, as
   * its players and nodes share the machine; a deployment leaves it unset, since behind a proxy
   * every client would otherwise look local.
   */
  assumedLocationForLocalClients?: GeoPoint;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** RFC 1918, 6598 (CGNAT), 3927 (link-local), 4193 (unique local), 4291 (link-local v6), unspecified, multicast, reserved. */
const NOT_GEOLOCATABLE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_GEOLOCATABLE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NOT_GEOLOCATABLE.addSubnet(network, prefix, 'ipv6');
}

const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

export class GeoLocator {
  readonly #assumedLocal: GeoPoint | undefined;
  /** The database takes ~0.5 s and ~150 MB to load, so it loads on the first IP lookup, not at start. */
  #lookup: Promise<GeoipLookup> | undefined;

  constructor(options: GeoLocatorOptions = {}) {
    this.#assumedLocal = options.assumedLocationForLocalClients;
  }

  /** The player's location: `coordinates` when given (already schema-checked), else from `ip`. */
  async locate(request: { coordinates?: GeoPoint; ip: string }): Promise<GeoPoint> {
    if (request.coordinates !== undefined) return { lat: request.coordinates.lat, lng: request.coordinates.lng };
    const ip = request.ip.replace(IPV4_MAPPED, '$1');
    const family = isIP(ip);
    if (family === 0) throw unknown(`"${request.ip}" is not an IP address.`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (LOOPBACK.check(ip, type)) {
      if (this.#assumedLocal !== undefined) return { ...this.#assumedLocal };
      throw unknown('You are connecting from this machine (loopback); send your coordinates.');
    }
    if (NOT_GEOLOCATABLE.check(ip, type)) throw unknown('Your address is a private or reserved one; send your coordinates.');
    this.#lookup ??= import('geoip-lite').then((geoip) => geoip.default.lookup);
    const [lat, lng] = (await this.#lookup)(ip)?.ll ?? [];
    if (typeof lat !== 'number' || typeof lng !== 'number') throw unknown('Your address is not in the location database; send your coordinates.');
    return { lat, lng };
  }
}

function unknown(message: string): AppError {
  return new AppError('LOCATION_UNKNOWN', `We could not tell where you are. ${message}`);
}
