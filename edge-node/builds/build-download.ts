/**
 * Downloads one build archive into a partial file, resumably: after a dropped connection the next
 * request asks only for the bytes still missing (HTTP Range), and a partial file left by an
 * earlier run is continued, not restarted. The SHA-256 is checked before the caller may unpack
 * anything; a file that does not match is deleted. Sources are tried in order (nearby peers
 * first, the origin last): a source that serves wrong bytes is only a wasted download. A source
 * that resumed bytes another source (or an earlier run) left is, on a mismatch, asked once more
 * for the whole archive: a peer that sent wrong bytes and then broke off must not spoil the
 * origin's download. A source that sends nothing for a while is treated as a dropped connection.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat, truncate, unlink } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { AppError } from '../../protocol/errors.js';

export interface BuildSource {
  /** Where the archive's bytes are served (with Range support). */
  url: string;
  /** Sent with every request to this source (a node's signed credentials for the origin). */
  headers?: () => Record<string, string>;
  /** Peers are tried before the origin; shown in logs. */
  kind: 'peer' | 'origin';
}

export interface DownloadProgress {
  receivedBytes: number;
  /** Null until a source has said how large the archive is. */
  totalBytes: number | null;
}

export interface DownloadOptions {
  buildId: string;
  sources: readonly BuildSource[];
  /** The partial file; it is the verified archive when the promise resolves. */
  target: string;
  /** An archive larger than this is refused before (or while) it is downloaded. */
  maxBytes: number;
  /** Attempts per source that may end without progress before it is given up. */
  attemptsWithoutProgress?: number;
  /** A response that brings no byte for this long is given up as a dropped connection (default 15 s). */
  stallTimeoutMs?: number;
  onProgress?: (progress: DownloadProgress) => void;
  /** Learns the archive's size before its bytes arrive (room is made in the cache then). */
  onSize?: (totalBytes: number) => Promise<void> | void;
  logger: Logger;
}

const RETRY_BASE_MS = 200;
const STALL_TIMEOUT_MS = 15_000;

/** Resolves once `target` holds the archive whose SHA-256 is `buildId`. */
export async function downloadBuild(options: DownloadOptions): Promise<void> {
  if (options.sources.length === 0) throw new AppError('BUILD_FETCH_FAILED', 'No source serves this build.');
  let lastError: unknown;
  for (const source of options.sources) {
    try {
      const resumed = (await fileSize(options.target)) > 0;
      let digest = await downloadFrom(source, options);
      if (digest !== options.buildId && resumed) {
        // The bytes another source (or an earlier run) left may be the wrong ones: this source once more, whole.
        await discard(source, digest, options);
        digest = await downloadFrom(source, options);
      }
      if (digest === options.buildId) return;
      await discard(source, digest, options);
      lastError = new AppError('BUILD_HASH_MISMATCH', `The build from ${source.kind === 'peer' ? 'a peer node' : 'the origin'} hashes to ${digest}, not ${options.buildId}; it was discarded.`);
    } catch (error) {
      if (error instanceof AppError && error.code === 'BUILD_TOO_LARGE') throw error;
      options.logger.warn({ err: error, buildId: options.buildId, source: source.url, kind: source.kind }, 'build source failed; trying the next');
      lastError = error;
    }
  }
  throw lastError instanceof AppError ? lastError : new AppError('BUILD_FETCH_FAILED', `Every source of build ${options.buildId} failed.`);
}

async function discard(source: BuildSource, digest: string, options: DownloadOptions): Promise<void> {
  await unlink(options.target).catch(() => {});
  options.logger.warn({ buildId: options.buildId, source: source.url, kind: source.kind, digest }, 'build bytes do not match their hash; discarded');
}

/** Downloads the rest of the archive from one source and returns the SHA-256 of the whole file. */
async function downloadFrom(source: BuildSource, options: DownloadOptions): Promise<string> {
  const hashed = { hash: createHash('sha256'), bytes: 0 };
  let failures = 0;
  const allowedFailures = options.attemptsWithoutProgress ?? 4;
  for (;;) {
    const offset = await fileSize(options.target);
    // The hash covers exactly the bytes on disk; a write cut short mid-chunk leaves it behind, so it is redone from the file.
    if (hashed.bytes !== offset) Object.assign(hashed, await hashPrefix(options.target, offset));
    let result: 'complete' | 'progress';
    try {
      result = await fetchRange(source, options, offset, hashed);
    } catch (error) {
      if (error instanceof AppError && (error.code === 'BUILD_TOO_LARGE' || error.code === 'BUILD_FETCH_FAILED')) throw error;
      const progressed = (await fileSize(options.target)) > offset;
      failures = progressed ? 0 : failures + 1;
      if (failures >= allowedFailures) throw new AppError('BUILD_FETCH_FAILED', `Downloading from ${source.url} failed: ${String(error)}`);
      options.logger.info({ err: error, buildId: options.buildId, offset }, 'build download interrupted; resuming');
      await new Promise((resolve) => setTimeout(resolve, RETRY_BASE_MS * 2 ** failures));
      continue;
    }
    if (result === 'complete') return hashed.hash.digest('hex');
  }
}

async function fetchRange(source: BuildSource, options: DownloadOptions, offset: number, hashed: { hash: Hash; bytes: number }): Promise<'complete' | 'progress'> {
  const headers: Record<string, string> = { ...source.headers?.() };
  if (offset > 0) headers['range'] = `bytes=${offset}-`;
  const stall = new AbortController();
  const stallMs = options.stallTimeoutMs ?? STALL_TIMEOUT_MS;
  let stallTimer = setTimeout(() => stall.abort(new Error(`no bytes from ${source.url} for ${stallMs} ms`)), stallMs);
  const alive = (): void => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => stall.abort(new Error(`no bytes from ${source.url} for ${stallMs} ms`)), stallMs);
  };
  try {
    return await fetchRangeWithin(source, options, offset, hashed, headers, stall.signal, alive);
  } finally {
    clearTimeout(stallTimer);
  }
}

async function fetchRangeWithin(
  source: BuildSource,
  options: DownloadOptions,
  offset: number,
  hashed: { hash: Hash; bytes: number },
  headers: Record<string, string>,
  signal: AbortSignal,
  alive: () => void,
): Promise<'complete' | 'progress'> {
  const response = await fetch(source.url, { headers, signal });
  alive();
  if (response.status === 416 && offset > 0) {
    // Nothing left to ask for: the partial file is already whole (if it is not, the hash says so).
    await response.body?.cancel();
    return 'complete';
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    throw new AppError('BUILD_FETCH_FAILED', `${source.url} answered HTTP ${response.status}.`);
  }
  let start = 0;
  let total: number | null = null;
  if (response.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== offset) {
      await response.body?.cancel();
      throw new AppError('BUILD_FETCH_FAILED', `${source.url} answered a range that does not start at byte ${offset}.`);
    }
    start = offset;
    total = Number(range[3]);
  } else {
    const length = response.headers.get('content-length');
    total = length === null ? null : Number(length);
  }
  if (total !== null && total > options.maxBytes) {
    await response.body?.cancel();
    throw new AppError('BUILD_TOO_LARGE', `The build is ${total} bytes; this node caches at most ${options.maxBytes}.`);
  }
  if (start === 0 && offset > 0) {
    // The source ignored the range and sends the whole archive.
    await truncate(options.target, 0);
    Object.assign(hashed, { hash: createHash('sha256'), bytes: 0 });
  }
  if (total !== null) await options.onSize?.(total);
  if (!response.body) throw new AppError('BUILD_FETCH_FAILED', `${source.url} sent no body.`);
  let received = start;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      alive();
      received += chunk.length;
      if (received > options.maxBytes) {
        done(new AppError('BUILD_TOO_LARGE', `The build is over ${options.maxBytes} bytes, the most this node caches.`));
        return;
      }
      hashed.hash.update(chunk);
      hashed.bytes += chunk.length;
      options.onProgress?.({ receivedBytes: received, totalBytes: total });
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), counter, createWriteStream(options.target, { flags: start === 0 ? 'w' : 'a' }));
  if (total !== null && received < total) return 'progress';
  return 'complete';
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashPrefix(path: string, bytes: number): Promise<{ hash: Hash; bytes: number }> {
  const hash = createHash('sha256');
  if (bytes > 0) for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
  return { hash, bytes };
}
