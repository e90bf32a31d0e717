/**
 * Chooses, from a capture running at twice the stream's frame rate, one frame per stream period
 * at a phase the page's frame pacer can move (web-client/src/lib/frame-pacer.ts).
 *
 * A frames game moves its own clock when the pacer asks; ffmpeg's x11grab keeps the phase its
 * start happened to give it, and at a bad phase against the page's refresh every frame reaches
 * the compositor just after its deadline and is shown a refresh late. Grabbing twice as often and
 * keeping the grab nearest the wanted moment puts every kept frame within a quarter period of it.
 */
export class CapturePhase {
  /** The moment the next kept frame should have been grabbed at (epoch ms); none before the first grab. */
  #due: number | undefined;

  constructor(private readonly periodMs: number) {}

  /** Whether the frame grabbed at `capturedAtMs` is the one to stream. */
  take(capturedAtMs: number): boolean {
    // Grabs come half a period apart: the first one past a quarter period before the due moment is the nearest to it.
    if (this.#due !== undefined && capturedAtMs < this.#due - this.periodMs / 4) return false;
    this.#due = this.#due === undefined ? capturedAtMs : this.#due;
    this.#due += this.periodMs;
    // After a stall (a busy rig, a paused capture) the next frame comes a period after this one, not in a burst of catch-up frames.
    if (this.#due < capturedAtMs + this.periodMs / 2) this.#due = capturedAtMs + this.periodMs;
    return true;
  }

  /** Moves the moment frames are kept at by `shiftMs` (positive: later), the pacer's advice; half a period at most. */
  shift(shiftMs: number): void {
    if (this.#due === undefined) return;
    this.#due += Math.max(-this.periodMs / 2, Math.min(this.periodMs / 2, shiftMs));
  }
}
