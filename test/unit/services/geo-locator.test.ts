import { describe, expect, it } from 'vitest';
import { AppError } from '../../../protocol/errors.js';
import { GeoLocator } from '../../../services/matchmaker/geo-locator.js';
import { distanceKm } from '../../../services/matchmaker/great-circle.js';

const home = { lat: 52.52, lng: 13.405 };

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'located';
  } catch (error) {
    return error instanceof AppError ? error.code : String(error);
  }
}

describe('geo locator', () => {
  const locator = new GeoLocator();
  const local = new GeoLocator({ assumedLocationForLocalClients: home });

  it('takes the coordinates the page sends over the address', async () => {
    expect(await locator.locate({ coordinates: { lat: -33.87, lng: 151.21 }, ip: '127.0.0.1' })).toEqual({ lat: -33.87, lng: 151.21 });
  });

  it('places a public address where the database says', async () => {
    const stAlbans = await locator.locate({ ip: '81.2.69.142' });
    expect(distanceKm(stAlbans, { lat: 51.75, lng: -0.33 })).toBeLessThan(50);
    expect(distanceKm(await locator.locate({ ip: '::ffff:81.2.69.142' }), stAlbans)).toBe(0);
    expect((await locator.locate({ ip: '2001:4860:4860::8888' })).lat).toBeGreaterThan(20);
  });

  it('answers LOCATION_UNKNOWN for loopback unless a local location is assumed', async () => {
    for (const ip of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      expect(await code(locator.locate({ ip })), ip).toBe('LOCATION_UNKNOWN');
      expect(await local.locate({ ip }), ip).toEqual(home);
    }
  });

  it('answers LOCATION_UNKNOWN for private, reserved and unlisted addresses, even with a local location assumed', async () => {
    for (const ip of ['10.1.2.3', '172.20.0.5', '192.168.1.10', '100.64.0.1', '169.254.1.1', '0.0.0.0', '224.0.0.1', 'fd00::1', 'fe80::1', '::', '1.1.1.1']) {
      expect(await code(local.locate({ ip })), ip).toBe('LOCATION_UNKNOWN');
    }
    expect(await code(local.locate({ ip: 'not-an-address' }))).toBe('LOCATION_UNKNOWN');
  });
});
