/** One HTTP byte range (RFC 9110 §14): `bytes=a-b`, `bytes=a-` or `bytes=-n`; several ranges at once are not served. */
import { AppError } from './errors.js';

/** Inclusive byte range, as HTTP Range speaks it. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The range asked for within `size` bytes, undefined for the whole; BUILD_RANGE_INVALID when it cannot be served. */
export function parseByteRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null || (match[1] === '' && match[2] === '')) {
    throw new AppError('BUILD_RANGE_INVALID', `"${header}" is not one byte range (bytes=start-end).`);
  }
  const [, first = '', last = ''] = match;
  const range =
    first === ''
      ? { start: Math.max(size - Number(last), 0), end: size - 1 }
      : { start: Number(first), end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
  if (range.start > range.end || range.start >= size) {
    throw new AppError('BUILD_RANGE_INVALID', `The range ${header} is not within the ${size} bytes of the archive.`);
  }
  return range;
}
