/** The cover's content type, from its bytes rather than its name: only PNG, JPEG and WebP are shown. */
import { AppError } from '../errors.js';

export function coverContentType(bytes: Buffer): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  throw new AppError('MANIFEST_COVER_INVALID', 'The cover is not a PNG, JPEG or WebP image.');
}
