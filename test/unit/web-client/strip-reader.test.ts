/**
 * The strip is read from the frame a requestVideoFrameCallback describes, not from a newer one the
 * element took meanwhile: that one's inputs would be timed by the older frame's display time. A
 * stand-in VideoFrame (what `new VideoFrame(video)` takes from the element) carries the strip.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { STRIP_CELL, STRIP_WIDTH, stripCellLumas } from '../../../protocol/latency-strip.js';
import { StripReader } from '../../../web-client/src/lib/strip-reader.js';

/** The frame the element holds: its timestamp (µs) and the sequence number its strip shows. */
let held = { timestamp: 0, seq: 0 };

class HeldFrame {
  readonly format = 'I420';
  readonly codedWidth = 1280;
  readonly codedHeight = 720;
  readonly timestamp = held.timestamp;
  readonly #seq = held.seq;
  copyTo(buffer: Uint8Array): Promise<{ offset: number; stride: number }[]> {
    const lumas = stripCellLumas(this.#seq);
    for (let y = 0; y < STRIP_CELL; y++) for (let x = 0; x < STRIP_WIDTH; x++) buffer[y * STRIP_WIDTH + x] = lumas[Math.floor(x / STRIP_CELL)]!;
    return Promise.resolve([{ offset: 0, stride: STRIP_WIDTH }]);
  }
  close(): void {}
}

const video = {} as HTMLVideoElement;

describe('reading the latency strip of the frame a callback describes', () => {
  const original = (globalThis as { VideoFrame?: unknown }).VideoFrame;
  afterEach(() => {
    (globalThis as { VideoFrame?: unknown }).VideoFrame = original;
  });

  it("reads the callback's own frame, and nothing when the element already holds a newer one", async () => {
    (globalThis as { VideoFrame?: unknown }).VideoFrame = HeldFrame;
    const reader = new StripReader();
    held = { timestamp: 920_819, seq: 41 };
    // mediaTime in seconds, as requestVideoFrameCallback gives it (rounded by the float).
    expect(await reader.read(video, 0.920819)).toBe(41);
    // The callback for the frame at 0.920819 s runs after the frame at 0.935895 s replaced it.
    held = { timestamp: 935_895, seq: 42 };
    expect(await reader.read(video, 0.920819)).toBeNull();
    // That frame's own callback reads it.
    expect(await reader.read(video, 0.935895)).toBe(42);
  });
});
