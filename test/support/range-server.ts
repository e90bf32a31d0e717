/**
 * A small HTTP server for tests that serves byte arrays by path with Range support, and can be
 * told to cut a response after some bytes (a dropped connection) or to serve other bytes (a
 * dishonest source).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RangeServer {
  url(path: string): string;
  /** Ranges asked for, in order, per path ("bytes=N-" or "" for a whole-file request). */
  requests: { path: string; range: string }[];
  /** The next `count` responses stop after `afterBytes` bytes of body and drop the connection. */
  dropNext(count: number, afterBytes: number): void;
  close(): Promise<void>;
}

export async function startRangeServer(files: Map<string, Buffer>): Promise<RangeServer> {
  const requests: RangeServer['requests'] = [];
  let drops = { count: 0, afterBytes: 0 };
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    const body = files.get(path);
    const range = request.headers.range ?? '';
    requests.push({ path, range });
    if (!body) {
      response.writeHead(404).end();
      return;
    }
    const start = range ? Number(/^bytes=(\d+)-$/.exec(range)?.[1] ?? 0) : 0;
    if (start >= body.length && range) {
      response.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    const slice = body.subarray(start);
    response.writeHead(range ? 206 : 200, {
      'content-length': String(slice.length),
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (drops.count > 0) {
      drops = { ...drops, count: drops.count - 1 };
      response.write(slice.subarray(0, drops.afterBytes), () => response.destroy());
      return;
    }
    response.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    dropNext: (count, afterBytes) => {
      drops = { count, afterBytes };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
