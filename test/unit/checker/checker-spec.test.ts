import { describe, expect, it } from 'vitest';
import { formatCheckerSpec, parseCheckerSpec } from '../../../services/checker/checker-spec.js';

describe('a checker named on the command line', () => {
  it('reads id, key and place, and prints the same form', () => {
    const spec = `berlin-1=${'A'.repeat(43)}@52.52,13.405`;
    const checker = parseCheckerSpec(spec);
    expect(checker).toEqual({ checkerId: 'berlin-1', publicKey: 'A'.repeat(43), location: { lat: 52.52, lng: 13.405 } });
    expect(formatCheckerSpec(checker)).toBe(spec);
  });

  it('refuses malformed keys and places off the globe', () => {
    expect(() => parseCheckerSpec('berlin-1=short@52,13')).toThrow(RangeError);
    expect(() => parseCheckerSpec(`berlin-1=${'A'.repeat(43)}@95,13`)).toThrow(RangeError);
  });
});
