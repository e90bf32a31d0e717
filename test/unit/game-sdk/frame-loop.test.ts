/**
 * The SDK's frame loop on a clock the test drives: a drift-free fixed tick that skips what a
 * stall missed, frames pulled forward by input (or not, in fixed-tick mode), a busy output
 * holding frames back, and the node's pace advice.
 */
import { describe, expect, it } from 'vitest';
import { FrameLoop, type LoopClock } from '../../../edge-node/game-sdk/index.js';

/** Timers fire in time order as the test moves the clock; setTimeout's whole-millisecond rounding is modelled. */
class ManualClock implements LoopClock {
  time = 1000;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(1, Math.round(delayMs)), callback });
    return id;
  }

  clearTimer(timer: unknown): void {
    this.timers.delete(timer as number);
  }

  /** Moves time to `until`, firing every timer due on the way. */
  advanceTo(until: number): void {
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
    }
    this.time = until;
  }
}

function loopOn(clock: ManualClock, options: { renderOnInput?: boolean; fps?: number } = {}): { loop: FrameLoop; ticks: number[]; output: { ready: boolean } } {
  const ticks: number[] = [];
  const output = { ready: true };
  const loop = new FrameLoop({
    fps: options.fps ?? 50,
    renderOnInput: options.renderOnInput ?? true,
    clock,
    ready: () => output.ready,
    tick: (now) => {
      ticks.push(now - 1000);
      return output.ready;
    },
  });
  return { loop, ticks, output };
}

describe('game SDK frame loop', () => {
  it('ticks at start + n periods without drift, and skips the ticks a stall missed', () => {
    const clock = new ManualClock();
    const { loop, ticks } = loopOn(clock);
    loop.start();
    clock.advanceTo(1000 + 1000);
    // 50 fps: every 20 ms, the first at once.
    expect(ticks).toEqual(Array.from({ length: 51 }, (_, n) => n * 20));

    // The process stalls for 95 ms: one late tick, then the schedule resumes on the old grid.
    ticks.length = 0;
    clock.time += 95;
    clock.advanceTo(2000 + 150);
    expect(ticks[0]).toBe(1095);
    expect(ticks.slice(1)).toEqual([1100, 1120, 1140]);
    loop.stop();
    clock.advanceTo(3000);
    expect(ticks.at(-1)).toBe(1140);
  });

  it('renders soon after input, not closer than half a period to the last frame', () => {
    const clock = new ManualClock();
    const { loop, ticks } = loopOn(clock);
    loop.start();
    clock.advanceTo(1000 + 5);
    loop.inputApplied();
    // 5 ms after a frame: held until 10 ms (half of 20), then on the grid from there.
    clock.advanceTo(1000 + 45);
    expect(ticks).toEqual([0, 10, 30]);
    clock.advanceTo(1000 + 42);
    loop.inputApplied();
    // 12 ms after the last frame: at once.
    expect(ticks).toEqual([0, 10, 30, 42]);
    clock.advanceTo(1000 + 70);
    expect(ticks).toEqual([0, 10, 30, 42, 62]);
  });

  it('in fixed-tick mode renders only on the clock, whatever the input', () => {
    const clock = new ManualClock();
    const { loop, ticks } = loopOn(clock, { renderOnInput: false });
    loop.start();
    clock.advanceTo(1000 + 12);
    loop.inputApplied();
    clock.advanceTo(1000 + 60);
    expect(ticks).toEqual([0, 20, 40, 60]);
  });

  it('holds an input frame while the output is busy and sends it when the output drains', () => {
    const clock = new ManualClock();
    const { loop, ticks, output } = loopOn(clock);
    loop.start();
    output.ready = false;
    clock.advanceTo(1000 + 12);
    loop.inputApplied();
    expect(ticks).toEqual([0]);
    clock.advanceTo(1000 + 14);
    output.ready = true;
    loop.outputDrained();
    expect(ticks).toEqual([0, 14]);
    // A drain with no input waiting changes nothing.
    clock.advanceTo(1000 + 16);
    loop.outputDrained();
    clock.advanceTo(1000 + 34);
    expect(ticks).toEqual([0, 14, 34]);
  });

  it('does not count a skipped frame as sent: input after it still pulls the next one forward', () => {
    const clock = new ManualClock();
    const { loop, ticks, output } = loopOn(clock);
    loop.start();
    output.ready = false;
    clock.advanceTo(1000 + 20);
    output.ready = true;
    clock.advanceTo(1000 + 25);
    loop.inputApplied();
    // The tick at 20 was skipped, so the last frame sent was at 0: the input frame goes at once.
    expect(ticks).toEqual([0, 20, 25]);
  });

  it('moves its clock by the pace advice, at most half a period at a time', () => {
    const clock = new ManualClock();
    const { loop, ticks } = loopOn(clock);
    loop.start();
    clock.advanceTo(1000 + 5);
    loop.pace(4);
    clock.advanceTo(1000 + 50);
    expect(ticks).toEqual([0, 24, 44]);
    loop.pace(-1000);
    clock.advanceTo(1000 + 100);
    // Clamped to -10 ms: 64 becomes 54, then every 20 ms.
    expect(ticks).toEqual([0, 24, 44, 54, 74, 94]);
  });

  it('once paced, renders on the clock alone: input no longer pulls a frame forward', () => {
    const clock = new ManualClock();
    const { loop, ticks } = loopOn(clock);
    loop.start();
    // A shift of 0 is no pacing: input still renders at once.
    loop.pace(0);
    clock.advanceTo(1000 + 12);
    loop.inputApplied();
    expect(ticks).toEqual([0, 12]);
    loop.pace(2);
    clock.advanceTo(1000 + 25);
    loop.inputApplied();
    clock.advanceTo(1000 + 60);
    expect(ticks).toEqual([0, 12, 34, 54]);
  });
});
