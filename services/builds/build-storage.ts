/**
 * Where build archives (and their cover images) live, addressed by build id. One machine keeps
 * them on its disk (LocalBuildStorage); several control-plane instances put an object store
 * behind this interface (README: builds), so every instance serves every build.
 */
import type { Readable } from 'node:stream';
import type { ByteRange } from '../../protocol/byte-range.js';

export type { ByteRange };

export interface BuildStorage {
  /** Takes the finished file at `sourcePath` as build `buildId` (the file is moved or removed); a build already stored is kept. */
  adopt(buildId: string, sourcePath: string): Promise<void>;
  /** The archive's size, or null when it is not stored. */
  size(buildId: string): Promise<number | null>;
  /** The archive's bytes, or the range of them. */
  read(buildId: string, range?: ByteRange): Promise<Readable>;
  putCover(buildId: string, bytes: Buffer): Promise<void>;
  /** The cover's bytes, or null. */
  readCover(buildId: string): Promise<Buffer | null>;
}
