/** A checker named on the command line: `id=publicKey@lat,lng` (the key raw Ed25519, base64url). */
import type { CheckerIdentity } from '../../protocol/checks.js';

const SPEC = /^([A-Za-z0-9_-]{1,64})=([A-Za-z0-9_-]{43})@(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/;

export function parseCheckerSpec(value: string): CheckerIdentity {
  const match = SPEC.exec(value);
  const lat = Number(match?.[3]);
  const lng = Number(match?.[4]);
  if (match === null || Math.abs(lat) > 90 || Math.abs(lng) > 180) {
    throw new RangeError('expected id=publicKey@lat,lng (the checker key raw Ed25519 in base64url, where the checker stands)');
  }
  return { checkerId: match[1]!, publicKey: match[2]!, location: { lat, lng } };
}

export function formatCheckerSpec({ checkerId, publicKey, location }: CheckerIdentity): string {
  return `${checkerId}=${publicKey}@${location.lat},${location.lng}`;
}
