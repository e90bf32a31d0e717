/**
 * A node's peer build server over real HTTP, in front of a real build cache, with tokens signed by
 * the control plane's real ticket issuer: it serves only builds it holds verified, only with a
 * valid token for this node and build and the key it names, and only so many uploads at once.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildCache, type UnpackArchive } from '../../../edge-node/builds/build-cache.js';
import { PeerBuildServer } from '../../../edge-node/builds/peer-build-server.js';
import { PeerFetchVerifier } from '../../../edge-node/builds/peer-fetch-verifier.js';
import { signBuildFetch } from '../../../protocol/build-fetch-auth.js';
import { BUILD_ROUTES } from '../../../protocol/build-manifest.js';
import { PEER_FETCH_TOKEN_ISSUER, type PeerFetchTokenClaims } from '../../../protocol/build-peers.js';
import type { ErrorResponse } from '../../../protocol/http.js';
import { rawPublicKey } from '../../../protocol/signing.js';
import { TicketIssuer } from '../../../services/tickets/ticket-issuer.js';
import { manifest } from '../../support/build-archives.js';
import { startRangeServer, type RangeServer } from '../../support/range-server.js';

const logger = pino({ level: 'silent' });
/** Large enough that a reader who stops reading keeps its upload open (more than the socket buffers hold). */
const ARCHIVE_BYTES = 48 << 20;
const THIS_NODE = 'node-a';
const ASKER = 'node-b';

/** Stands in for the archive extractor (tested on its own): the archive is random bytes. */
const unpackAsOneFile: UnpackArchive = async (archive, destination) => {
  await mkdir(destination);
  await copyFile(archive, join(destination, 'blob'));
  return { manifest: manifest() };
};

let root: string;
let origin: RangeServer;
let issuer: TicketIssuer;
let http: Server;
let baseUrl: string;
let buildId: string;
let archive: Buffer;
const askerKeys = generateKeyPairSync('ed25519');

function token(overrides: Partial<Omit<PeerFetchTokenClaims, 'iss'>> & { iss?: string } = {}, signer: TicketIssuer = issuer): string {
  return signer.sign({
    iss: PEER_FETCH_TOKEN_ISSUER,
    aud: [THIS_NODE],
    sub: ASKER,
    bid: buildId,
    key: rawPublicKey(askerKeys.publicKey),
    exp: Math.floor(Date.now() / 1000) + 60,
    ...overrides,
  });
}

function headers(forBuild: string, bearer: string): Record<string, string> {
  return { authorization: `Bearer ${bearer}`, ...signBuildFetch(ASKER, 'GET', BUILD_ROUTES.archive(forBuild), askerKeys.privateKey) };
}

async function refusal(forBuild: string, bearer: string): Promise<{ status: number; code: string }> {
  const response = await fetch(new URL(BUILD_ROUTES.archive(forBuild), baseUrl), { headers: headers(forBuild, bearer) });
  return { status: response.status, code: ((await response.json()) as ErrorResponse).error.code };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgeplay-peer-server-'));
  archive = randomBytes(ARCHIVE_BYTES);
  buildId = createHash('sha256').update(archive).digest('hex');
  origin = await startRangeServer(new Map([[`/${buildId}`, archive]]));
  const cache = await BuildCache.open({ root, maxBytes: 256 << 20, unpack: unpackAsOneFile, logger });
  (await cache.acquire(buildId, [{ kind: 'origin', url: origin.url(`/${buildId}`) }])).release();
  issuer = await TicketIssuer.create();
  const verifier = await PeerFetchVerifier.create(issuer.publicJwk, THIS_NODE);
  const peers = new PeerBuildServer({ builds: cache, verifier: () => verifier, maxUploads: 1, logger });
  http = createServer((request, response) => {
    if (!peers.handle(request, response)) response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  http?.closeAllConnections();
  http?.close();
  await origin?.close();
  await rm(root, { recursive: true, force: true });
});

describe('peer build server', () => {
  it('serves a verified build it holds, by range', async () => {
    const response = await fetch(new URL(BUILD_ROUTES.archive(buildId), baseUrl), { headers: { ...headers(buildId, token()), range: `bytes=${ARCHIVE_BYTES - 1000}-` } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes ${ARCHIVE_BYTES - 1000}-${ARCHIVE_BYTES - 1}/${ARCHIVE_BYTES}`);
    expect(Buffer.from(await response.arrayBuffer()).equals(archive.subarray(ARCHIVE_BYTES - 1000))).toBe(true);
  });

  it('serves nothing it does not hold, even to a node with a valid token for it', async () => {
    const missing = 'e'.repeat(64);
    expect(await refusal(missing, token({ bid: missing }))).toEqual({ status: 404, code: 'PEER_BUILD_NOT_HELD' });
  });

  it('refuses expired tokens, tokens for other nodes, and tokens the control plane did not sign', async () => {
    const unauthorized = { status: 401, code: 'PEER_FETCH_UNAUTHORIZED' };
    expect(await refusal(buildId, token({ exp: Math.floor(Date.now() / 1000) - 5 }))).toEqual(unauthorized);
    expect(await refusal(buildId, token({ aud: ['node-c'] }))).toEqual(unauthorized);
    expect(await refusal(buildId, token({}, await TicketIssuer.create()))).toEqual(unauthorized);
    // A session ticket's issuer is not a peer fetch token's, though the same key signs both.
    expect(await refusal(buildId, token({ iss: 'edgeplay-control-plane' }))).toEqual(unauthorized);
  });

  it('serves one upload at a time when bounded to one, and the next once it ends', async () => {
    const first = await new Promise<IncomingMessage>((resolve, reject) => {
      get(new URL(BUILD_ROUTES.archive(buildId), baseUrl), { headers: headers(buildId, token()) }, resolve).on('error', reject);
    });
    expect(first.statusCode).toBe(200);
    first.pause();
    expect(await refusal(buildId, token())).toEqual({ status: 503, code: 'PEER_BUSY' });
    first.destroy();
    await expect
      .poll(async () => (await fetch(new URL(BUILD_ROUTES.archive(buildId), baseUrl), { headers: { ...headers(buildId, token()), range: 'bytes=0-9' } })).status, { timeout: 5000 })
      .toBe(206);
  });
});
