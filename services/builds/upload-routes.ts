/**
 * Resumable build uploads: the tus protocol (@tus/server over @tus/file-store) mounted at
 * UPLOAD_PATH. Each upload's id starts with its studio's id, so a key of another studio cannot
 * resume, read or end it; a finished upload is handed to BuildIngest before the last PATCH is
 * answered, and the answer names the build (or carries the refusal's code). An upload that never
 * finishes never becomes a build, and expires.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../protocol/errors.js';
import { BUILD_ID_HEADER, UPLOAD_PATH } from '../../protocol/studio.js';
import { bearerFromHeader, bearerToken } from '../http/bearer.js';
import type { Logger } from '../logging/logger.js';
import { requireScope, type StudioAccounts } from '../studios/studio-accounts.js';
import type { BuildIngest } from './build-ingest.js';

export interface UploadRoutesOptions {
  accounts: StudioAccounts;
  ingest: BuildIngest;
  /** Where unfinished uploads wait (under the data directory, beside the builds). */
  directory: string;
  maxUploadBytes: number;
  /** An upload untouched this long is dropped. */
  expireAfterMs: number;
  log: Logger;
}

const ID_SEPARATOR = '-';

export const uploadRoutes: FastifyPluginAsync<UploadRoutesOptions> = async (app, options) => {
  const { accounts, ingest, directory, maxUploadBytes, expireAfterMs } = options;
  const log = options.log.child({ component: 'uploads' });
  await mkdir(directory, { recursive: true });
  const datastore = new FileStore({ directory, expirationPeriodInMilliseconds: expireAfterMs });
  const tus = new Server({
    path: UPLOAD_PATH,
    datastore,
    maxSize: maxUploadBytes,
    relativeLocation: true,
    namingFunction: async (request) => {
      const caller = await accounts.authenticate(bearerFromHeader(request.headers.get('authorization')));
      return `${caller.studioId}${ID_SEPARATOR}${randomBytes(16).toString('hex')}`;
    },
    onUploadFinish: async (_request, upload) => {
      const studioId = upload.id.slice(0, upload.id.indexOf(ID_SEPARATOR));
      try {
        const build = await ingest.ingest(studioId, join(directory, upload.id), upload.metadata?.sha256 ?? undefined);
        return { status_code: 204, headers: { [BUILD_ID_HEADER]: build.buildId } };
      } catch (error) {
        const refusal = error instanceof AppError ? error : new AppError('INTERNAL');
        if (!(error instanceof AppError)) log.error({ err: error, uploadId: upload.id }, 'ingesting an upload failed');
        // tus sends this as the answer to the last PATCH; the client reads the code from it.
        throw { status_code: refusal.status, body: JSON.stringify({ error: refusal.toBody() }) };
      } finally {
        await datastore.configstore.delete(upload.id);
      }
    },
  });
  const sweep = setInterval(() => {
    tus.cleanUpExpiredUploads().catch((error: unknown) => log.warn({ err: error }, 'dropping expired uploads failed'));
  }, Math.min(expireAfterMs, 3_600_000));
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  // tus reads the body itself.
  app.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));
  app.addHook('onRequest', async (request) => {
    const caller = await accounts.authenticate(bearerToken(request));
    requireScope(caller, 'upload');
    const uploadId = request.url.split('?')[0]?.slice(UPLOAD_PATH.length + 1) ?? '';
    if (uploadId !== '' && !uploadId.startsWith(`${caller.studioId}${ID_SEPARATOR}`)) throw new AppError('UPLOAD_NOT_FOUND');
  });
  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.hijack();
    await tus.handle(request.raw, reply.raw);
  };
  const schema = {
    tags: ['studios'],
    summary: 'Resumable build upload (tus 1.0.0)',
    description: 'POST creates an upload (Upload-Length, Upload-Metadata: filename, sha256); HEAD tells its offset; PATCH appends. The last PATCH answers with the build id in x-edgeplay-build-id, or with the refusal. Needs an API key with the upload scope.',
  };
  app.all(UPLOAD_PATH, { schema }, handle);
  app.all(`${UPLOAD_PATH}/*`, { schema }, handle);
};
