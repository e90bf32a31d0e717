/** Messages between the benchmark and its load generator process (load-generator.ts). */
import type { Endpoints, Nodes } from './latency-model.js';

export interface LoadTarget {
  /** The control plane, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Requests in flight at once, each on its own keep-alive connection. */
  concurrency: number;
}

/** One prepared request: a POST of `body` to `path`. */
export interface LoadRequestSpec {
  path: string;
  body: unknown;
}

export type LoadJob =
  /** Mints `count` guest tokens (POST /v1/auth/guest). */
  | (LoadTarget & { kind: 'mint'; count: number })
  /** One POST /v1/sessions per token, from the matching address (X-Forwarded-For). */
  | (LoadTarget & { kind: 'sessions'; tokens: string[]; ips: string[] })
  /**
   * Per token: POST /v1/placements, then POST .../choice with the RTT the player at `players[i]`
   * would measure to each candidate (the latency model of the world sent with 'world').
   */
  | (LoadTarget & { kind: 'offer-choice'; tokens: string[]; ips: string[]; players: number[] })
  /** Prepared POSTs (node heartbeats), each expected to answer 200. */
  | (LoadTarget & { kind: 'posts'; requests: LoadRequestSpec[] });

export type LoadRequest = { kind: 'world'; players: Endpoints; nodes: Nodes } | { kind: 'job'; job: LoadJob } | { kind: 'exit' };

export interface LoadResult {
  /** Placements (or tokens) attempted. */
  attempted: number;
  /** Completed as asked: 201 for sessions and tokens, 'placed' for offer + choice. */
  succeeded: number;
  elapsedMs: number;
  succeededPerSecond: number;
  /** Outcomes other than success, by "status code" (e.g. "503 NO_CAPACITY", "200 queued"). */
  failures: Record<string, number>;
  /** Wall time per placement (both requests for offer + choice), ms. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** CPU time the load generator process itself used, ms (it shares the machine's cores with what it measures). */
  generatorCpuMs: number;
  /** The minted tokens, for 'mint'. */
  tokens?: string[];
}

export type LoadReply = { kind: 'ready' } | { kind: 'result'; result: LoadResult } | { kind: 'error'; message: string };
