/**
 * npm run bench:placement: how well and how fast the matchmaker places players, on real Redis.
 *
 * A world of edge nodes and players placed where Internet users are (random IPv4 addresses placed
 * by geoip-lite: placement/world.ts) and a latency model that distance alone cannot fully predict
 * (placement/latency-model.ts). At each scale (1,000, 10,000 and 100,000 nodes, nested worlds
 * from one seed) it measures:
 *  - the candidate search (findCandidates, K as the control plane uses, on the index replica that a
 *    control plane instance keeps: services/store/index-replica.ts), one player at a time
 *    (after untimed searches by other players, as a running control plane has made),
 *    timed call by call; the real placement score then chooses among the candidates by the RTTs
 *    the player would measure. Quality: the share of players within 5 ms of the best node any node
 *    could give them (found exactly: placement/best-node.ts), and the mean excess latency.
 *  - the same for a baseline: the nearest node by distance, Redis GEOSEARCH on one GEO set.
 *  - placements per second through the HTTP API (POST /v1/sessions, one request each) of the
 *    control plane as its command line runs it, one worker per core (services/main.ts --workers),
 *    with a load generator in its own process; and the probe-based flow (offer, then choice) the
 *    same way.
 * Prints a table and writes test/bench/results/placement.json (the largest world at the top level,
 * the smaller ones under `scales`; `diagnostics` say where the time went: Redis commands per
 * search, each store call's wall time, GC pauses, CPU per placement by process, and, in the
 * largest world, quality at larger K and the search reading Redis, as an instance does while its
 * replica loads).
 *
 * Nodes register 1,000 slots each, so capacity never decides a placement; in-process searches
 * reserve nothing, and the HTTP placements' reservations are left to lapse (Redis is flushed
 * between scales).
 *
 * Environment: BENCH_PLACEMENT_SCALES (comma-separated node counts), BENCH_PLACEMENT_SEED,
 * BENCH_PLACEMENT_GEO ('city', the default, or 'any': see placement/world.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { DEFAULT_SEARCH_LIMITS } from '../../services/matchmaker/candidate-search.js';
import { DEFAULT_CANDIDATE_COUNT } from '../../services/matchmaker/matchmaker.js';
import { SCORE_WEIGHTS } from '../../services/matchmaker/score.js';
import { RedisStore } from '../../services/store/redis-store.js';
import { startControlPlaneProcess, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { startRedis } from '../support/redis.js';
import { BestNodeFinder, bestNodeByScan } from './placement/best-node.js';
import { gcImpact, recordGcPauses, type GcImpact } from './placement/gc-pauses.js';
import { LoadGenerator } from './placement/http-load.js';
import { LATENCY_MODEL } from './placement/latency-model.js';
import type { LoadResult } from './placement/load-protocol.js';
import { addBaselineNodes, BENCH_KEY_PREFIX, NODE_SLOTS, registerNodes } from './placement/redis-world.js';
import { compareStores, quality, runBaselineSearches, runMatchmakerSearches, searchBreakdown, type Quality, type SearchTimes } from './placement/searches.js';
import { mean, percentile, round } from './placement/stats.js';
import { buildWorld, nodePrefix, pointStats, type GeoPrecision, type World } from './placement/world.js';

const SEED = Number(process.env['BENCH_PLACEMENT_SEED'] ?? 20_240_611);
const SCALES = (process.env['BENCH_PLACEMENT_SCALES'] ?? '1000,10000,100000').split(',').map(Number);
const PRECISION: GeoPrecision = process.env['BENCH_PLACEMENT_GEO'] === 'any' ? 'any' : 'city';
/** The smaller worlds are measured over this many players (the first of the same players), the largest over one player per node. */
const MIN_PLAYERS = 20_000;
/**
 * Players beyond the measured ones, whose searches run untimed before the timed ones: the search
 * is timed as a running control plane does it (code compiled, density hints learned from earlier
 * players), not as the first searches after a start.
 */
const WARMUP_PLAYERS = 10_000;
/** Candidates per search: the control plane's default candidateCount, which its command line uses. */
const K = DEFAULT_CANDIDATE_COUNT;
/** Other K, tried on a sample of players in the largest world: what quality fewer or more probes give. */
const K_SENSITIVITY = [5, 10, 20, 40];
const K_SAMPLE = 3_000;
const BREAKDOWN_SAMPLE = 3_000;
/** Players searched again in the largest world, alternately on the index replica and reading Redis. */
const REDIS_SEARCH_SAMPLE = 10_000;
/** Players whose exact best node is checked against trying every node. */
const BEST_CHECK_SAMPLE = 300;
const HTTP_CONCURRENCY = 64;
/** Control-plane instances behind the port (services/main.ts --workers), one per core as deployed. */
const HTTP_WORKERS = Number(process.env['BENCH_PLACEMENT_WORKERS'] ?? availableParallelism());
/** The control plane runs under this benchmark's own V8 flags (package.json gives both the same), without its loader. */
const CONTROL_PLANE_NODE_FLAGS = process.execArgv.filter((flag, i, all) => flag !== '--import' && all[i - 1] !== '--import');
const HTTP_SESSIONS = 10_000;
const HTTP_OFFER_CHOICES = 5_000;
/**
 * Requests of each kind made untimed first: each worker compiles its hot code (V8 tiers it up after
 * thousands of calls) and learns its density hints, as a control plane that has been running has.
 * Measured in blocks of 4,000 placements from a fresh start at 100,000 nodes, the control plane's
 * CPU per placement was 0.88 ms over placements 2,000-6,000, 0.58 over the next block, and
 * 0.47-0.53 from 10,000 on: fewer would time the start, not the running control plane.
 */
const HTTP_WARMUP = 12_000;
const RESULTS = fileURLToPath(new URL('./results/placement.json', import.meta.url));

const started = performance.now();
function log(message: string): void {
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);
}

interface MethodFigures {
  search_p50_ms: number;
  search_p99_ms: number;
  within5ms_pct: number;
  mean_excess_ms: number;
}

interface ScaleFigures extends MethodFigures {
  nodes: number;
  players: number;
  http_placements_per_s: number;
  http_offer_choice_per_s: number;
  baseline: MethodFigures;
  diagnostics: Record<string, unknown>;
}

function figures(searchMs: Float64Array, q: Quality): MethodFigures {
  return {
    search_p50_ms: round(percentile(searchMs, 50), 3),
    search_p99_ms: round(percentile(searchMs, 99), 3),
    within5ms_pct: round(q.within5msPct, 2),
    mean_excess_ms: round(q.meanExcessMs, 2),
  };
}

function httpSummary(result: LoadResult): Record<string, unknown> {
  return {
    attempted: result.attempted,
    succeeded: result.succeeded,
    per_s: round(result.succeededPerSecond, 1),
    elapsed_s: round(result.elapsedMs / 1000, 2),
    latency_p50_ms: round(result.latencyP50Ms, 2),
    latency_p99_ms: round(result.latencyP99Ms, 2),
    failures: result.failures,
  };
}

async function commandStats(admin: Redis): Promise<Record<string, { calls: number; usec: number }>> {
  const info = await admin.info('commandstats');
  const stats: Record<string, { calls: number; usec: number }> = {};
  for (const line of info.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (match !== null) stats[match[1]!] = { calls: Number(match[2]), usec: Number(match[3]) };
  }
  return stats;
}

function roundGc(impact: GcImpact): Record<string, unknown> {
  return {
    pauses: impact.pauses,
    pause_ms_by_kind: Object.fromEntries(Object.entries(impact.pauseMsByKind).map(([kind, ms]) => [kind, round(ms, 1)])),
    slowest_1pct_overlapping_gc_pct: round(impact.slowCallsOverlappingGcPct, 1),
    slowest_1pct_time_in_gc_pct: round(impact.slowCallsTimeInGcPct, 1),
    all_time_in_gc_pct: round(impact.allCallsTimeInGcPct, 1),
  };
}

/**
 * CPU used while a load job runs, per placement, ms: by the control plane's processes (primary and
 * workers), by redis-server, and by the load generator.
 */
async function cpuMeter(admin: Redis, plane: ControlPlaneProcess): Promise<(result: LoadResult) => Promise<Record<string, number>>> {
  const redisCpuS = async () => {
    const info = await admin.info('cpu');
    const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
    return field('used_cpu_user') + field('used_cpu_sys');
  };
  const redisBefore = await redisCpuS();
  const before = await plane.cpuMs();
  return async (result) => {
    const used = (await plane.cpuMs()) - before;
    const redisAfter = await redisCpuS();
    const per = (ms: number) => round(ms / Math.max(1, result.succeeded), 3);
    return {
      control_plane: per(used),
      redis: per((redisAfter - redisBefore) * 1000),
      load_generator: per(result.generatorCpuMs),
      wall: per(result.elapsedMs),
    };
  };
}

async function measureScale(world: World, scale: number, redisUrl: string, admin: Redis, load: LoadGenerator, largest: boolean): Promise<ScaleFigures> {
  const players = world.players;
  const playerCount = largest ? Math.min(players.count, Math.max(scale, MIN_PLAYERS)) : Math.min(players.count, MIN_PLAYERS);
  const nodes = nodePrefix(world.nodes, scale);
  log(`=== ${scale} nodes, ${playerCount} players ===`);
  await admin.flushall();

  const store = await RedisStore.connect({ redisUrl }, { keyPrefix: BENCH_KEY_PREFIX, replicateIndex: true });
  let storeOpen = true;
  try {
    const registerMs = await registerNodes(store, nodes, (done) => {
      if (done % 20_000 === 0 || done === scale) log(`  registered ${done}/${scale} nodes (store.upsertNodes)`);
    });
    const geoaddMs = await addBaselineNodes(admin, nodes);
    log(`  registration ${(registerMs / 1000).toFixed(1)} s (${Math.round((scale * 1000) / registerMs)} nodes/s); baseline GEOADD ${(geoaddMs / 1000).toFixed(2)} s`);

    // The best node each player could have, exactly.
    const bestStarted = performance.now();
    const finder = new BestNodeFinder(nodes);
    const bestRtt = new Float64Array(playerCount);
    for (let p = 0; p < playerCount; p++) bestRtt[p] = finder.best(players, p).rttMs;
    const bestMs = performance.now() - bestStarted;
    const checkEvery = Math.max(1, Math.floor(playerCount / BEST_CHECK_SAMPLE));
    let checked = 0;
    for (let p = 0; p < playerCount; p += checkEvery) {
      const scanned = bestNodeByScan(players, p, nodes);
      if (Math.abs(scanned.rttMs - bestRtt[p]!) > 1e-9) throw new Error(`best node mismatch for player ${p}: grid ${bestRtt[p]} ms, scan ${scanned.rttMs} ms`);
      checked++;
    }
    log(`  best nodes: ${(bestMs / 1000).toFixed(1)} s, ${Math.round(finder.evaluated / playerCount)} nodes tried per player; ${checked} checked against a full scan`);

    // The matchmaker, one player at a time.
    await admin.config('RESETSTAT');
    const gc = recordGcPauses();
    const run = await runMatchmakerSearches(store, players, nodes, playerCount, K, (done) => log(`  matchmaker searches: ${done}/${playerCount}`), {
      from: players.count - WARMUP_PLAYERS,
      count: WARMUP_PLAYERS,
    });
    const searchGc = gcImpact(gc.stop(), run.startedAt, run.searchMs, percentile(run.searchMs, 99));
    const serverStats = await commandStats(admin);
    const ours = quality(players, nodes, run.chosen, bestRtt);
    const fastestCandidate = quality(players, nodes, run.fastestCandidate, bestRtt);
    log(`  matchmaker: p50 ${percentile(run.searchMs, 50).toFixed(3)} ms, p99 ${percentile(run.searchMs, 99).toFixed(3)} ms; within 5 ms ${ours.within5msPct.toFixed(1)}%`);

    // The baseline.
    const baselineRun = await runBaselineSearches(admin, players, playerCount, (done) => log(`  baseline GEOSEARCH: ${done}/${playerCount}`));
    const theirs = quality(players, nodes, baselineRun.chosen, bestRtt);
    log(`  baseline: p50 ${percentile(baselineRun.searchMs, 50).toFixed(3)} ms, p99 ${percentile(baselineRun.searchMs, 99).toFixed(3)} ms; within 5 ms ${theirs.within5msPct.toFixed(1)}%`);

    const breakdown = await searchBreakdown(store, players, Math.min(BREAKDOWN_SAMPLE, playerCount), K);

    const kSensitivity: Record<string, unknown>[] = [];
    let fromRedis: Record<string, unknown> | undefined;
    if (largest) {
      // The search reading Redis (the path before an instance's replica has loaded), against the
      // replica, on the same players in alternating blocks.
      const plainSample = Math.min(REDIS_SEARCH_SAMPLE, playerCount);
      const plain = await RedisStore.connect({ redisUrl }, { keyPrefix: BENCH_KEY_PREFIX });
      try {
        const abGc = recordGcPauses();
        const [replica, redisSearch] = await compareStores(store, plain, players, plainSample, K);
        const pauses = abGc.stop();
        const summary = (times: SearchTimes) => {
          const impact = gcImpact(pauses, times.startedAt, times.searchMs, percentile(times.searchMs, 99));
          return {
            search_p50_ms: round(percentile(times.searchMs, 50), 3),
            search_p99_ms: round(percentile(times.searchMs, 99), 3),
            time_in_gc_pct: round(impact.allCallsTimeInGcPct, 1),
            slowest_1pct_overlapping_gc_pct: round(impact.slowCallsOverlappingGcPct, 1),
            slowest_1pct_time_in_gc_pct: round(impact.slowCallsTimeInGcPct, 1),
          };
        };
        fromRedis = { players: plainSample, replica: summary(replica), redis: summary(redisSearch) };
        log(
          `  ${plainSample} players, alternating: replica p50 ${percentile(replica.searchMs, 50).toFixed(3)} ms, p99 ${percentile(replica.searchMs, 99).toFixed(3)} ms; ` +
            `reading Redis p50 ${percentile(redisSearch.searchMs, 50).toFixed(3)} ms, p99 ${percentile(redisSearch.searchMs, 99).toFixed(3)} ms`,
        );
      } finally {
        await plain.close();
      }

      const sample = Math.min(K_SAMPLE, playerCount);
      const sampleBest = bestRtt.subarray(0, sample);
      const atK = quality(players, nodes, run.chosen.subarray(0, sample), sampleBest);
      kSensitivity.push({ k: K, players: sample, ...figures(run.searchMs.subarray(0, sample), atK) });
      for (const k of K_SENSITIVITY) {
        const other = await runMatchmakerSearches(store, players, nodes, sample, k, () => {});
        const q = quality(players, nodes, other.chosen, sampleBest);
        kSensitivity.push({ k, players: sample, ...figures(other.searchMs, q), examined_mean: round(mean(other.examined), 1) });
        log(`  K = ${k}: within 5 ms ${q.within5msPct.toFixed(1)}%, mean excess ${q.meanExcessMs.toFixed(2)} ms, search p99 ${percentile(other.searchMs, 99).toFixed(3)} ms`);
      }
    }

    // Through the HTTP API. This process's replica would hear every placement too, on the same
    // cores: it goes first, so only Redis and the load generator run beside the control plane.
    await store.close();
    storeOpen = false;
    const plane = await startControlPlaneProcess(
      [
        '--workers', String(HTTP_WORKERS), '--redis-url', redisUrl, '--redis-key-prefix', BENCH_KEY_PREFIX, '--log-level', 'warn',
        // Players are told apart by X-Forwarded-For from the load generator, as behind a proxy.
        '--trust-proxy',
        // Every player's guest token is minted from the load generator's own address.
        '--guest-tokens-per-address', String(1_000_000),
      ],
      CONTROL_PLANE_NODE_FLAGS,
    );
    let sessions: LoadResult;
    let offerChoice: LoadResult;
    let mint: LoadResult;
    let sessionsCpu: Record<string, number>;
    let offerChoiceCpu: Record<string, number>;
    try {
      const target = { url: plane.url, concurrency: HTTP_CONCURRENCY };
      const needed = 2 * HTTP_WARMUP + HTTP_SESSIONS + HTTP_OFFER_CHOICES;
      mint = await load.run({ ...target, kind: 'mint', count: needed });
      const tokens = mint.tokens ?? [];
      if (mint.succeeded !== needed) throw new Error(`minted ${mint.succeeded} of ${needed} guest tokens: ${JSON.stringify(mint.failures)}`);
      log(`  HTTP: ${needed} guest tokens minted (${Math.round(mint.succeededPerSecond)}/s)`);
      let used = 0;
      const take = (count: number) => {
        const range = Array.from({ length: count }, (_, i) => (used + i) % playerCount);
        const slice = { tokens: tokens.slice(used, used + count), ips: range.map((p) => players.ips[p]!), players: range };
        used += count;
        return slice;
      };
      const sessionWarmup = take(HTTP_WARMUP);
      await load.run({ ...target, kind: 'sessions', tokens: sessionWarmup.tokens, ips: sessionWarmup.ips });
      const measured = take(HTTP_SESSIONS);
      const sessionsUsage = await cpuMeter(admin, plane);
      sessions = await load.run({ ...target, kind: 'sessions', tokens: measured.tokens, ips: measured.ips });
      sessionsCpu = await sessionsUsage(sessions);
      log(`  HTTP POST /v1/sessions: ${sessions.succeeded}/${sessions.attempted} placed, ${Math.round(sessions.succeededPerSecond)}/s, p50 ${sessions.latencyP50Ms.toFixed(1)} ms, p99 ${sessions.latencyP99Ms.toFixed(1)} ms ${JSON.stringify(sessions.failures)}`);
      const offerWarmup = take(HTTP_WARMUP);
      await load.run({ ...target, kind: 'offer-choice', ...offerWarmup });
      const offers = take(HTTP_OFFER_CHOICES);
      const offerChoiceUsage = await cpuMeter(admin, plane);
      offerChoice = await load.run({ ...target, kind: 'offer-choice', ...offers });
      offerChoiceCpu = await offerChoiceUsage(offerChoice);
      log(`  HTTP offer + choice: ${offerChoice.succeeded}/${offerChoice.attempted} placed, ${Math.round(offerChoice.succeededPerSecond)}/s, p50 ${offerChoice.latencyP50Ms.toFixed(1)} ms, p99 ${offerChoice.latencyP99Ms.toFixed(1)} ms ${JSON.stringify(offerChoice.failures)}`);
    } finally {
      await plane.stop();
    }

    const nodePoints = pointStats(nodes);
    return {
      nodes: scale,
      players: playerCount,
      ...figures(run.searchMs, ours),
      http_placements_per_s: round(sessions.succeededPerSecond, 1),
      http_offer_choice_per_s: round(offerChoice.succeededPerSecond, 1),
      baseline: figures(baselineRun.searchMs, theirs),
      diagnostics: {
        node_points: nodePoints,
        register_s: round(registerMs / 1000, 2),
        best_node_s: round(bestMs / 1000, 2),
        best_node_tried_per_player: round(finder.evaluated / playerCount, 1),
        search_mean_ms: round(mean(run.searchMs), 3),
        search_p999_ms: round(percentile(run.searchMs, 99.9), 3),
        search_max_ms: round(percentile(run.searchMs, 100), 3),
        round_trips_mean: round(mean(run.roundTrips), 2),
        round_trips_p99: percentile(run.roundTrips, 99),
        examined_mean: round(mean(run.examined), 1),
        examined_p99: percentile(run.examined, 99),
        players_with_fewer_than_k: Array.from(run.candidates).filter((count) => count < K).length,
        redis_per_search: Object.fromEntries(
          Object.entries(serverStats)
            .filter(([command]) => ['geosearch', 'zcard', 'evalsha', 'eval'].includes(command))
            .map(([command, { calls, usec }]) => [command, { calls: round(calls / playerCount, 2), server_us: round(usec / playerCount, 1) }]),
        ),
        breakdown: {
          ...breakdown,
          meanSearchMs: round(breakdown.meanSearchMs, 3),
          meanStoreWaitMs: round(breakdown.meanStoreWaitMs, 3),
          meanH3Ms: round(breakdown.meanH3Ms, 3),
          storeCalls: Object.fromEntries(
            Object.entries(breakdown.storeCalls).map(([method, c]) => [method, { callsPerSearch: round(c.callsPerSearch, 2), meanMs: round(c.meanMs, 3) }]),
          ),
        },
        // The candidates' own limit: the least-RTT candidate, were the score to ignore load, cache, reputation and price.
        fastest_candidate: { within5ms_pct: round(fastestCandidate.within5msPct, 2), mean_excess_ms: round(fastestCandidate.meanExcessMs, 2) },
        search_gc: roundGc(searchGc),
        search_reading_redis: fromRedis,
        chosen_over_initial_bound_pct: round((100 * run.overInitialBound) / playerCount, 2),
        baseline_unplaced: theirs.unplaced,
        k_sensitivity: kSensitivity,
        http_sessions: { ...httpSummary(sessions), cpu_ms_per_placement: sessionsCpu },
        http_offer_choice: { ...httpSummary(offerChoice), cpu_ms_per_placement: offerChoiceCpu },
        http_guest_tokens_per_s: round(mint.succeededPerSecond, 1),
      },
    };
  } finally {
    if (storeOpen) await store.close();
  }
}

function table(rows: ScaleFigures[]): string {
  const header = ['nodes', 'players', 'method', 'search p50 ms', 'search p99 ms', 'within 5 ms', 'mean excess ms', 'HTTP placements/s', 'offer+choice/s'];
  const lines: string[][] = [];
  for (const row of rows) {
    lines.push([
      String(row.nodes),
      String(row.players),
      `matchmaker (K=${K})`,
      row.search_p50_ms.toFixed(3),
      row.search_p99_ms.toFixed(3),
      `${row.within5ms_pct.toFixed(1)}%`,
      row.mean_excess_ms.toFixed(2),
      row.http_placements_per_s.toFixed(0),
      row.http_offer_choice_per_s.toFixed(0),
    ]);
    const b = row.baseline;
    lines.push(['', '', 'baseline GEOSEARCH', b.search_p50_ms.toFixed(3), b.search_p99_ms.toFixed(3), `${b.within5ms_pct.toFixed(1)}%`, b.mean_excess_ms.toFixed(2), '-', '-']);
  }
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]) => cells.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ');
  return [format(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...lines.map(format)].join('\n');
}

function goals(top: ScaleFigures): string[] {
  const check = (ok: boolean, text: string) => `  ${ok ? 'met   ' : 'MISSED'} ${text}`;
  return [
    check(top.search_p99_ms <= 2, `search p99 <= 2 ms at ${top.nodes} nodes: ${top.search_p99_ms} ms`),
    check(top.http_placements_per_s >= 2000, `>= 2,000 placements/s over HTTP: ${top.http_placements_per_s}/s`),
    check(top.within5ms_pct >= 95, `>= 95% of players within 5 ms of their best node: ${top.within5ms_pct}%`),
    check(
      top.mean_excess_ms <= top.baseline.mean_excess_ms / 2,
      `mean excess <= half the baseline's: ${top.mean_excess_ms} ms vs ${top.baseline.mean_excess_ms} ms (half: ${round(top.baseline.mean_excess_ms / 2, 2)} ms)`,
    ),
  ];
}

async function main(): Promise<void> {
  const scales = [...SCALES].sort((a, b) => a - b);
  const largest = scales.at(-1) ?? 0;
  const playerCount = Math.max(largest, MIN_PLAYERS) + WARMUP_PLAYERS;
  log(`building the world: ${largest} nodes, ${playerCount} players (${WARMUP_PLAYERS} for warm-up), seed ${SEED}, geoip precision ${PRECISION}`);
  const world = buildWorld({ seed: SEED, nodes: largest, players: playerCount, precision: PRECISION, onProgress: log });
  const s = world.sampling;
  log(
    `  ${s.drawn} addresses drawn: ${s.reserved} reserved, ${s.unlocated} not located, ${s.countryOnly} located to a country only, ${s.kept} kept`,
  );

  const redis = await startRedis();
  const admin = new Redis(redis.url);
  const load = await LoadGenerator.start();
  const rows: ScaleFigures[] = [];
  try {
    await load.setWorld(world.players, world.nodes);
    log(`redis-server on port ${redis.port}; load generator started`);
    for (const scale of scales) rows.push(await measureScale(world, scale, redis.url, admin, load, scale === largest));
  } finally {
    await load.stop();
    admin.disconnect();
    await redis.stop();
  }

  const top = rows.at(-1);
  if (top === undefined) throw new Error('no scale was measured');
  const { diagnostics, ...topFigures } = top;
  const result = {
    ...topFigures,
    scales: rows.slice(0, -1),
    goals: {
      search_p99_at_most_2ms: top.search_p99_ms <= 2,
      http_at_least_2000_per_s: top.http_placements_per_s >= 2000,
      within5ms_at_least_95pct: top.within5ms_pct >= 95,
      mean_excess_at_most_half_baseline: top.mean_excess_ms <= top.baseline.mean_excess_ms / 2,
    },
    diagnostics,
    setup: {
      seed: SEED,
      geoip_precision: PRECISION,
      sampling: world.sampling,
      k: K,
      search_limits: DEFAULT_SEARCH_LIMITS,
      score_weights: SCORE_WEIGHTS,
      node_slots: NODE_SLOTS,
      latency_model: LATENCY_MODEL,
      players_per_scale: 'one per node in the largest world; the first 20,000 players in the smaller ones',
      search_timing: `every player, one search at a time, wall time of findCandidates (in-process, RedisStore with its index replica), after ${WARMUP_PLAYERS} untimed searches by other players`,
      baseline_timing: 'every player, one at a time, wall time of GEOSEARCH FROMLONLAT BYRADIUS 25/100/400/1600/6400/20040 km ASC COUNT 1 until one hits',
      http: { workers: HTTP_WORKERS, concurrency: HTTP_CONCURRENCY, sessions: HTTP_SESSIONS, offer_choices: HTTP_OFFER_CHOICES, warmup: HTTP_WARMUP, log_level: 'warn' },
      wall_s: round((performance.now() - started) / 1000, 1),
    },
  };
  await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);

  console.log('');
  console.log(table(rows));
  console.log('');
  console.log(`Goals (${top.nodes} nodes):`);
  for (const line of goals(top)) console.log(line);
  console.log(`\nwrote ${RESULTS} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
