/**
 * Dishonest or broken sources ahead of an honest one (a peer before the origin), over real HTTP:
 * a source that sends wrong bytes and then breaks off does not spoil the honest source's download,
 * and a source that answers and then sends nothing is given up.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadBuild } from '../../../edge-node/builds/build-download.js';
import { startRangeServer } from '../../support/range-server.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A server whose every response is `respond`'s. */
async function serve(respond: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(respond);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/build`;
}

async function setup(): Promise<{ archive: Buffer; buildId: string; originUrl: string; requests: { range: string }[]; target: string }> {
  const archive = randomBytes(1 << 20);
  const buildId = createHash('sha256').update(archive).digest('hex');
  const origin = await startRangeServer(new Map([['/build', archive]]));
  const dir = await mkdtemp(join(tmpdir(), 'edgeplay-download-sources-'));
  cleanups.push(() => origin.close(), () => rm(dir, { recursive: true, force: true }));
  return { archive, buildId, originUrl: origin.url('/build'), requests: origin.requests, target: join(dir, 'partial') };
}

describe('build download from several sources', () => {
  it('downloads the whole archive again from the origin when a lying peer sent part of it and broke off', async () => {
    const { archive, buildId, originUrl, requests, target } = await setup();
    let answered = 0;
    const liar = await serve((_request, response) => {
      if (answered++ > 0) {
        response.writeHead(500).end();
        return;
      }
      response.writeHead(200, { 'content-length': String(archive.length) });
      response.write(randomBytes(300_000), () => response.destroy());
    });
    await downloadBuild({ buildId, sources: [{ kind: 'peer', url: liar }, { kind: 'origin', url: originUrl }], target, maxBytes: 8 << 20, logger });
    expect((await readFile(target)).equals(archive)).toBe(true);
    // The origin first continued the liar's bytes (cheap when the peer was honest), then, the hash failing, sent everything.
    expect(requests.map((request) => request.range)).toEqual([expect.stringMatching(/^bytes=[1-9]\d*-$/), '']);
  });

  it('gives up a source that answers and then sends nothing', async () => {
    const { archive, buildId, originUrl, target } = await setup();
    const silent = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': String(archive.length) });
      response.flushHeaders();
    });
    await downloadBuild({
      buildId,
      sources: [{ kind: 'peer', url: silent }, { kind: 'origin', url: originUrl }],
      target,
      maxBytes: 8 << 20,
      stallTimeoutMs: 200,
      attemptsWithoutProgress: 1,
      logger,
    });
    expect((await readFile(target)).equals(archive)).toBe(true);
  });
});
