/**
 * When a game renders (edge-node/game/README.md, "Latency"): on a drift-free clock of `fps` ticks,
 * aimed at start + n * period and skipping ticks missed after a stall instead of bursting them
 * out; optionally pulled forward when input arrives (render on input), never closer than about
 * half a period to the previous frame; shifted by the node's `pace` advice.
 *
 * Paced, the loop renders on its clock alone. Pacing means the player's display refreshes at the
 * frame rate and the clock is locked to land each frame just before a refresh, so every refresh
 * already has its frame: one rendered on input lands in the same refresh as a clock frame and
 * cannot be shown sooner than it, and pulling the clock to the input would undo the lock.
 */

/** An input may pull the next frame forward, but never closer than this to the previous one. */
const MIN_INPUT_FRAME_GAP_MS = 8;
/** setTimeout works in whole milliseconds and can wake slightly early; that much early is on time. */
const TIMER_SLACK_MS = 1;

/** Time and timers, replaceable so the loop can be driven by a test's clock. */
export interface LoopClock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(timer: unknown): void;
}

export const realClock: LoopClock = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

export interface FrameLoopOptions {
  fps: number;
  /** Render soon after input instead of at the next tick (default true); false renders only on the clock, as most games do. */
  renderOnInput?: boolean;
  /** One tick at `nowMs`: render and send a frame; false when it could not be sent (the output was busy and the frame was skipped). */
  tick(nowMs: number): boolean;
  /** Whether a frame sent now would go out (the previous one has left). */
  ready(): boolean;
  clock?: LoopClock;
}

export class FrameLoop {
  readonly periodMs: number;
  private readonly minInputGapMs: number;
  private readonly renderOnInput: boolean;
  private readonly clock: LoopClock;
  private nextTickAt = 0;
  private lastFrameAt = -Infinity;
  private inputSinceFrame = false;
  private timer: unknown;
  private running = false;
  /** The node has paced the clock: frames are locked to the player's display refreshes. */
  private paced = false;

  constructor(private readonly options: FrameLoopOptions) {
    this.periodMs = 1000 / options.fps;
    this.minInputGapMs = Math.max(MIN_INPUT_FRAME_GAP_MS, this.periodMs / 2);
    this.renderOnInput = options.renderOnInput ?? true;
    this.clock = options.clock ?? realClock;
  }

  /** Renders the first frame now and keeps ticking until stop(). */
  start(): void {
    this.running = true;
    const now = this.clock.now();
    this.tick(now, now);
  }

  stop(): void {
    this.running = false;
    this.clock.clearTimer(this.timer);
  }

  /** An input was applied: with render on input, show it as soon as the frame-rate cap allows. */
  inputApplied(): void {
    this.inputSinceFrame = true;
    this.frameSoonForInput();
  }

  /** The last frame has left: one held back for input can go now. */
  outputDrained(): void {
    if (this.inputSinceFrame) this.frameSoonForInput();
  }

  /**
   * Moves the clock by `shiftMs` (positive: later), the node's `pace` advice. Half a period at
   * most: the page measures again and corrects a second later. A shift of 0 (a node checking
   * that the game reads its commands) changes nothing.
   */
  pace(shiftMs: number): void {
    if (!this.running || shiftMs === 0) return;
    this.paced = true;
    const shift = Math.max(-this.periodMs / 2, Math.min(this.periodMs / 2, shiftMs));
    this.clock.clearTimer(this.timer);
    this.nextTickAt += shift;
    this.schedule();
  }

  /** Ticks now and plans the next tick one period after `deadline`, so rounding never accumulates into drift. */
  private tick(now: number, deadline: number): void {
    if (this.options.tick(now)) {
      this.lastFrameAt = now;
      this.inputSinceFrame = false;
    }
    // The tick may have stopped the loop (the game quit from inside it).
    if (!this.running) return;
    this.nextTickAt = deadline + this.periodMs;
    if (this.nextTickAt <= now) this.nextTickAt += (Math.floor((now - this.nextTickAt) / this.periodMs) + 1) * this.periodMs;
    this.schedule();
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(() => this.onTimer(), Math.max(0, this.nextTickAt - this.clock.now()));
  }

  private onTimer(): void {
    const now = this.clock.now();
    if (now < this.nextTickAt - TIMER_SLACK_MS) {
      this.schedule();
      return;
    }
    this.tick(now, this.nextTickAt);
  }

  private frameSoonForInput(): void {
    if (!this.running || !this.renderOnInput || this.paced || !this.options.ready()) return;
    const earliest = this.lastFrameAt + this.minInputGapMs;
    if (earliest >= this.nextTickAt) return;
    this.clock.clearTimer(this.timer);
    const now = this.clock.now();
    if (now >= earliest) {
      this.tick(now, now);
    } else {
      this.nextTickAt = earliest;
      this.schedule();
    }
  }
}
