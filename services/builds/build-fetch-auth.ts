/**
 * Who may download a build (or ask who holds one): a live registered node, signing the very
 * request with its key (protocol/build-fetch-auth.ts), for a published build. Unpublished builds
 * stay with their studio: operators are strangers.
 */
import type { FastifyRequest } from 'fastify';
import { readBuildFetchAuth } from '../../protocol/build-fetch-auth.js';
import { AppError } from '../../protocol/errors.js';
import type { NodeRegistry } from '../registry/node-registry.js';
import type { BuildRecord, StudioStore } from '../studios/studio-store.js';

/** How far a download's signed time may be from our clock: bounds how long captured headers can be replayed. */
const MAX_CLOCK_SKEW_MS = 30_000;

export interface BuildFetchAuthorisation {
  build: BuildRecord;
  /** The node that signed the request. */
  nodeId: string;
}

export async function authoriseBuildFetch(
  request: FastifyRequest,
  buildId: string,
  { registry, studios }: { registry: NodeRegistry; studios: StudioStore },
): Promise<BuildFetchAuthorisation> {
  const path = request.url.split('?')[0] ?? '';
  const signed = readBuildFetchAuth(request.headers, request.method, path);
  if (signed === null) throw new AppError('BUILD_FETCH_UNAUTHORIZED');
  if (Math.abs(signed.payload.sentAt - Date.now()) > MAX_CLOCK_SKEW_MS) {
    throw new AppError('BUILD_FETCH_UNAUTHORIZED', 'The download was signed too long ago (or the node clock is off).');
  }
  await registry.authenticate(signed.payload.nodeId, signed.payload, signed.signature);
  const build = await studios.getBuild(buildId);
  const version = build === null ? null : await studios.getVersion(build.gameId, build.version);
  if (build === null || version?.buildId !== buildId || version.publishedAt === undefined) {
    throw new AppError('BUILD_NOT_FOUND', `There is no published build ${buildId}.`);
  }
  return { build, nodeId: signed.payload.nodeId };
}
