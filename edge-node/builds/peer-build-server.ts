/**
 * This node's side of builds spreading between nodes: it serves the verified archives in its build
 * cache, and nothing else, to nodes the control plane vouches for (peer-fetch-verifier.ts), whole
 * or by range, as the origin does (protocol/build-manifest.ts). Uploads at once are bounded so
 * peers cannot take the uplink the node's players stream over; one over the bound is PEER_BUSY
 * and the asker moves on to its next source.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { buildEtag } from '../../protocol/build-manifest.js';
import { parseByteRange } from '../../protocol/byte-range.js';
import { AppError } from '../../protocol/errors.js';
import { sendError } from '../probe/probe-endpoint.js';
import type { BuildCache } from './build-cache.js';
import type { PeerFetchVerifier } from './peer-fetch-verifier.js';

/** The archive route of protocol/build-manifest.ts (BUILD_ROUTES.archive); any other path is not ours. */
const ARCHIVE_PATH = /^\/v1\/builds\/([a-f0-9]{64})\/archive$/;
export const DEFAULT_MAX_PEER_UPLOADS = 4;

export interface PeerBuildServerOptions {
  builds: Pick<BuildCache, 'lendArchive'>;
  /** Unset until the node has registered (and so knows the control plane's key and its own id). */
  verifier: () => PeerFetchVerifier | undefined;
  maxUploads?: number;
  logger: Logger;
}

export class PeerBuildServer {
  private active = 0;

  constructor(private readonly options: PeerBuildServerOptions) {}

  /** Serves the request if it is for a build archive; false passes it on to the next handler. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const path = (request.url ?? '').split('?')[0] ?? '';
    const match = ARCHIVE_PATH.exec(path);
    if (match === null) return false;
    const buildId = match[1] ?? '';
    this.serve(request, response, path, buildId).catch((error: unknown) => {
      if (response.headersSent) {
        // The asker went away mid-upload (or the disk failed): it resumes from another source.
        this.options.logger.info({ err: error, buildId }, 'peer upload ended early');
        response.destroy();
        return;
      }
      const refusal = error instanceof AppError ? error : new AppError('INTERNAL');
      if (refusal.code === 'INTERNAL') this.options.logger.error({ err: error, buildId }, 'peer upload failed');
      else this.options.logger.info({ buildId, code: refusal.code, address: request.socket.remoteAddress }, 'peer fetch refused');
      sendError(response, refusal);
    });
    return true;
  }

  private async serve(request: IncomingMessage, response: ServerResponse, path: string, buildId: string): Promise<void> {
    const method = request.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') throw new AppError('ROUTE_NOT_FOUND', `${method} is not served at ${path}.`);
    const verifier = this.options.verifier();
    if (verifier === undefined) throw new AppError('NODE_SHUTTING_DOWN', 'The edge node is not registered yet.');
    const peerId = await verifier.verify(request.headers, method, path, buildId);
    if (this.active >= (this.options.maxUploads ?? DEFAULT_MAX_PEER_UPLOADS)) {
      response.setHeader('retry-after', '5');
      throw new AppError('PEER_BUSY');
    }
    const archive = this.options.builds.lendArchive(buildId);
    if (archive === undefined) throw new AppError('PEER_BUILD_NOT_HELD');
    this.active++;
    try {
      const size = (await stat(archive.path)).size;
      const range = parseByteRange(request.headers.range, size);
      response.writeHead(range === undefined ? 200 : 206, {
        'accept-ranges': 'bytes',
        etag: buildEtag(buildId),
        'content-type': 'application/octet-stream',
        'content-length': range === undefined ? size : range.end - range.start + 1,
        ...(range === undefined ? {} : { 'content-range': `bytes ${range.start}-${range.end}/${size}` }),
      });
      if (method === 'HEAD') {
        response.end();
        return;
      }
      this.options.logger.info({ buildId, peerId, range: request.headers.range }, 'serving a build to a peer');
      await pipeline(createReadStream(archive.path, range), response);
    } finally {
      this.active--;
      archive.release();
    }
  }
}
