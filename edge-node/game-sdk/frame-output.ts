/**
 * Frames to the node (protocol/game-protocol.ts): a header and the canvas's pixels in one buffer,
 * so each frame is a single write and nothing is allocated per frame.
 */
import type { Writable } from 'node:stream';
import { FRAME_HEADER_BYTES, PIXEL_FORMAT_I420, i420Size, writeFrameHeader } from '../../protocol/game-protocol.js';
import { I420Canvas } from './i420-canvas.js';

export class FrameOutput {
  /** The next frame: draw into it, then send(). */
  readonly canvas: I420Canvas;
  private readonly frame: Buffer;
  private frameNumber = 0;
  /**
   * False from a write until it has been flushed to the pipe. Waiting for the write's own callback
   * rather than only 'drain' after write() returns false: the buffer is reused, and a frame smaller
   * than the stream's highWaterMark could still be in flight when write() returns true.
   */
  private flushed = true;

  /** `drained` runs when a sent frame has left, so a frame held back for it can go now. */
  constructor(
    private readonly out: Writable,
    width: number,
    height: number,
    private readonly drained: () => void = () => {},
  ) {
    this.frame = Buffer.alloc(FRAME_HEADER_BYTES + i420Size(width, height));
    this.canvas = new I420Canvas(width, height, this.frame.subarray(FRAME_HEADER_BYTES));
  }

  /** False while the last frame is still in flight: the node is behind, and a frame drawn now would queue. */
  get ready(): boolean {
    return this.flushed;
  }

  /** The number the next frame gets; it counts frames sent, not frames skipped. */
  get framesSent(): number {
    return this.frameNumber;
  }

  /**
   * Sends the canvas as the next frame, stamped with the last applied input's `inputSeq` and the
   * time its state was taken. Returns false, writing nothing, while the previous frame is in flight.
   */
  send(inputSeq: number, stateTimeMs: number): boolean {
    if (!this.flushed) return false;
    const { width, height, data } = this.canvas;
    writeFrameHeader(this.frame, {
      width,
      height,
      format: PIXEL_FORMAT_I420,
      frameNumber: this.frameNumber,
      inputSeq,
      renderTimeMs: stateTimeMs,
      payloadLength: data.length,
    });
    this.frameNumber = (this.frameNumber + 1) >>> 0;
    this.flushed = false;
    this.out.write(this.frame, (error?: Error | null) => {
      // A failed write is the stream's 'error', which the owner handles.
      if (error) return;
      this.flushed = true;
      this.drained();
    });
    return true;
  }
}
