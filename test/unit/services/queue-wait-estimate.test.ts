/**
 * The queue's wait estimate against a simulated queue (issue 15: under load, players who gave up
 * had been told far too long and those placed far too little). Players arrive at random, slots
 * free at random and serve the head of the queue, and players give up after a random patience;
 * every player is told an estimate when they join, and the estimate is compared with the wait
 * that followed. The real queue and embedded store run on a simulated clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mulberry32 } from '../../../edge-node/demo-game/rng.js';
import { DEFAULT_QUEUE_POLICY, PlacementQueue } from '../../../services/matchmaker/placement-queue.js';
import { MemoryStore } from '../../../services/store/memory-store.js';

interface Event {
  at: number;
  kind: 'arrival' | 'slot_freed' | 'gives_up';
  player?: string;
}

interface Told {
  joinedAt: number;
  estimateS: number;
  leftAt?: number;
  served?: boolean;
}

function exponential(random: () => number, meanMs: number): number {
  return -Math.log(1 - random()) * meanMs;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Runs the queue for `durationMs` of simulated time; returns what each player was told and what happened. */
async function simulate(seed: number, { arrivalMs, serviceMs, patienceMs, durationMs }: { arrivalMs: number; serviceMs: number; patienceMs: number; durationMs: number }): Promise<Told[]> {
  const random = mulberry32(seed);
  const store = new MemoryStore();
  const queue = new PlacementQueue(store, { ...DEFAULT_QUEUE_POLICY, entryTtlMs: 10 * durationMs });
  const start = Date.now();
  const events: Event[] = [];
  for (let at = exponential(random, arrivalMs); at < durationMs; at += exponential(random, arrivalMs)) events.push({ at, kind: 'arrival' });
  for (let at = exponential(random, serviceMs); at < durationMs; at += exponential(random, serviceMs)) events.push({ at, kind: 'slot_freed' });
  const waiting: string[] = [];
  const told = new Map<string, Told>();
  let arrivals = 0;
  while (events.length > 0) {
    events.sort((a, b) => a.at - b.at);
    const event = events.shift()!;
    vi.setSystemTime(start + event.at);
    if (event.kind === 'arrival') {
      const player = `pl${arrivals++}`;
      const standing = await queue.join('q', player);
      if (standing === null) throw new Error('the queue is never full here');
      told.set(player, { joinedAt: event.at, estimateS: queue.view(standing, 40).estimatedWaitS });
      waiting.push(player);
      events.push({ at: event.at + exponential(random, patienceMs), kind: 'gives_up', player });
    } else {
      const player = event.kind === 'slot_freed' ? waiting.shift() : event.player;
      if (player === undefined || (event.kind === 'gives_up' && !waiting.includes(player))) continue;
      if (event.kind === 'gives_up') waiting.splice(waiting.indexOf(player), 1);
      await queue.leave('q', player);
      Object.assign(told.get(player)!, { leftAt: event.at, served: event.kind === 'slot_freed' });
    }
  }
  await store.close();
  // The first players meet a queue that has seen no departures yet.
  return [...told.values()].filter((entry) => entry.leftAt !== undefined && entry.joinedAt > durationMs / 10);
}

describe('queue wait estimate', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    { name: 'overloaded, players giving up', arrivalMs: 2_000, serviceMs: 3_000, patienceMs: 40_000 },
    { name: 'busy but keeping up', arrivalMs: 3_000, serviceMs: 2_500, patienceMs: 120_000 },
    { name: 'swamped, most giving up', arrivalMs: 1_000, serviceMs: 3_000, patienceMs: 20_000 },
  ])('tells placed players about the wait they get ($name)', async (load) => {
    const players = await simulate(15, { ...load, durationMs: 3_600_000 });
    const served = players.filter((player) => player.served === true && player.leftAt! - player.joinedAt > 1_000);
    expect(served.length).toBeGreaterThan(100);
    const ratios = served.map((player) => player.estimateS / ((player.leftAt! - player.joinedAt) / 1000));
    // Individual waits scatter around any estimate (departures are random); the typical one is right.
    expect(median(ratios)).toBeGreaterThan(0.55);
    expect(median(ratios)).toBeLessThan(1.25);
  });

  it('does not tell players who give up of waits far longer than the queue runs', async () => {
    const players = await simulate(7, { arrivalMs: 2_000, serviceMs: 3_000, patienceMs: 40_000, durationMs: 3_600_000 });
    const servedWaitsS = players.filter((player) => player.served === true).map((player) => (player.leftAt! - player.joinedAt) / 1000);
    const gaveUp = players.filter((player) => player.served === false);
    expect(gaveUp.length).toBeGreaterThan(100);
    // Someone at the back of a queue that loses players ahead of them moves up faster than the slots
    // free: they were told about as long as the players who stayed waited, not a multiple of it.
    expect(median(gaveUp.map((player) => player.estimateS))).toBeLessThan(1.5 * median(servedWaitsS));
  });
});
