/**
 * The HTTP load generator, a process of its own (forked by http-load.ts) so that its event loop and
 * JSON work do not share one with the control plane it measures. It keeps `concurrency` requests
 * in flight over keep-alive connections and reports what completed, how fast, and what failed.
 * undici rather than node:http: it spends about a fifth less CPU per request (0.12 against 0.15 ms
 * per placement in one A/B), CPU the control plane and Redis share on the 2-core bench machine.
 */
import { Pool } from 'undici';
import { measuredRttMs, type Endpoints, type Nodes } from './latency-model.js';
import type { LoadJob, LoadReply, LoadRequest, LoadResult } from './load-protocol.js';
import { nodeNumberOf } from './redis-world.js';
import { percentile } from './stats.js';

const GAME_ID = 'demo-arena';

interface Response {
  status: number;
  body: unknown;
}

let world: { players: Endpoints; nodes: Nodes } | undefined;

async function send(client: Pool, method: 'POST', path: string, headers: Record<string, string>, body?: unknown): Promise<Response> {
  const response = await client.request({
    method,
    path,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.statusCode, body: parsed };
}

function errorCode(response: Response): string {
  const code = (response.body as { error?: { code?: string } } | null)?.error?.code;
  return `${response.status} ${code ?? ''}`.trim();
}

/** Runs `count` tasks with `concurrency` in flight; each returns null on success or what went wrong. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<string | null>): Promise<LoadResult> {
  const latencies = new Float64Array(count);
  const failures: Record<string, number> = {};
  let next = 0;
  let succeeded = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const taskStarted = performance.now();
      let failure: string | null;
      try {
        failure = await task(i);
      } catch (error) {
        failure = `error ${(error as Error).message}`;
      }
      latencies[i] = performance.now() - taskStarted;
      if (failure === null) succeeded++;
      else failures[failure] = (failures[failure] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    generatorCpuMs: (used.user + used.system) / 1000,
    attempted: count,
    succeeded,
    elapsedMs,
    succeededPerSecond: (succeeded * 1000) / elapsedMs,
    failures,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
  };
}

async function runJob(job: LoadJob): Promise<LoadResult> {
  const client = new Pool(job.url, { connections: job.concurrency });
  try {
    if (job.kind === 'mint') {
      const tokens: string[] = new Array<string>(job.count);
      const result = await pool(job.count, job.concurrency, async (i) => {
        const response = await send(client, 'POST', '/v1/auth/guest', {});
        if (response.status !== 201) return errorCode(response);
        tokens[i] = (response.body as { token: string }).token;
        return null;
      });
      return { ...result, tokens };
    }
    if (job.kind === 'sessions') {
      return await pool(job.tokens.length, job.concurrency, async (i) => {
        const headers = { authorization: `Bearer ${job.tokens[i]}`, 'x-forwarded-for': job.ips[i]! };
        const response = await send(client, 'POST', '/v1/sessions', headers, { gameId: GAME_ID });
        return response.status === 201 ? null : errorCode(response);
      });
    }
    if (job.kind === 'posts') {
      return await pool(job.requests.length, job.concurrency, async (i) => {
        const { path, body } = job.requests[i]!;
        const response = await send(client, 'POST', path, {}, body);
        return response.status === 200 ? null : errorCode(response);
      });
    }
    const { players, nodes } = world ?? {};
    if (players === undefined || nodes === undefined) throw new Error('offer-choice needs the world first');
    return await pool(job.tokens.length, job.concurrency, async (i) => {
      const headers = { authorization: `Bearer ${job.tokens[i]}`, 'x-forwarded-for': job.ips[i]! };
      const offered = await send(client, 'POST', '/v1/placements', headers, { gameId: GAME_ID });
      if (offered.status !== 201) return `offer ${errorCode(offered)}`;
      const offer = offered.body as { placementId: string; candidates: { nodeId: string }[] };
      const player = job.players[i]!;
      const measurements = offer.candidates.map(({ nodeId }) => ({
        nodeId,
        rttMs: Math.round(measuredRttMs(players, player, nodes, nodeNumberOf(nodeId)) * 10) / 10,
      }));
      const chosen = await send(client, 'POST', `/v1/placements/${offer.placementId}/choice`, headers, { measurements });
      if (chosen.status !== 200) return `choice ${errorCode(chosen)}`;
      const state = (chosen.body as { state?: string }).state;
      return state === 'placed' ? null : `choice 200 ${state ?? '?'}`;
    });
  } finally {
    await client.close();
  }
}

function reply(message: LoadReply): void {
  process.send?.(message);
}

process.on('message', (message: LoadRequest) => {
  if (message.kind === 'exit') {
    process.disconnect?.();
    return;
  }
  if (message.kind === 'world') {
    world = { players: message.players, nodes: message.nodes };
    reply({ kind: 'ready' });
    return;
  }
  runJob(message.job).then(
    (result) => reply({ kind: 'result', result }),
    (error: unknown) => reply({ kind: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});
reply({ kind: 'ready' });
