import { describe, expect, it } from 'vitest';
import { locationFromQuery } from '../../../web-client/src/lib/page-location.js';

describe('locationFromQuery', () => {
  it('reads coordinates the page was given', () => {
    expect(locationFromQuery('?lat=52.52&lng=13.405')).toEqual({ lat: 52.52, lng: 13.405 });
    expect(locationFromQuery('?game=x&lng=-74&lat=40.7')).toEqual({ lat: 40.7, lng: -74 });
  });

  it('gives none when either is missing, not a number, or out of range', () => {
    for (const search of ['', '?lat=52', '?lat=abc&lng=1', '?lat=91&lng=0', '?lat=0&lng=181', '?lat=&lng=']) expect(locationFromQuery(search)).toBeUndefined();
  });
});
