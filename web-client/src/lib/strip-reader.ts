/**
 * Reads the latency strip (protocol/latency-strip.ts) out of the frame a video element shows.
 *
 * It copies the strip's rows out of a VideoFrame: a few kilobytes of luma, about 0.1 ms. Drawing
 * the video into a canvas, the way every browser can, converted the whole 1280x720 frame first:
 * 4-5 ms of the page's main thread per frame here, a quarter of that thread at 60 fps, which
 * delayed its rendering updates and with them the very frames being timed. The canvas remains for
 * browsers without VideoFrame and for frames it cannot copy (some GPU-only formats).
 */
import { decodeStrip, planeLuma, rgbLuma, STRIP_CELL, STRIP_WIDTH } from '../../../protocol/latency-strip.js';

/** A video frame's timestamp (µs) and its callback's mediaTime (s) name the same frame within rounding. */
const SAME_FRAME_US = 500;

/** Formats whose first plane is 8-bit luma. */
const PLANAR_8BIT = new Set<VideoPixelFormat>(['I420', 'I420A', 'I422', 'I444', 'NV12']);

export class StripReader {
  #canvas: CanvasRenderingContext2D | undefined;
  #useCanvas = typeof VideoFrame === 'undefined';
  readonly #buffer = stripBuffer();

  /**
   * The sequence number in the frame `video` shows now, or null when it carries none. The frame is
   * taken before this returns; only the decoding waits for the copy.
   *
   * `mediaTime` (requestVideoFrameCallback's, in seconds) names the frame the caller means: when
   * the element already holds a newer one (a frame arrived between the refresh and the callback,
   * which a loaded page sees often), this returns null rather than the newer frame's number, which
   * would be timed by the older frame's refresh. The newer frame gets a callback of its own.
   */
  read(video: HTMLVideoElement, mediaTime?: number): Promise<number | null> {
    if (this.#useCanvas) return Promise.resolve(this.#readCanvas(video));
    let frame: VideoFrame;
    try {
      frame = new VideoFrame(video);
    } catch {
      // No frame decoded yet.
      return Promise.resolve(null);
    }
    if (mediaTime !== undefined && Math.abs(frame.timestamp - mediaTime * 1e6) > SAME_FRAME_US) {
      frame.close();
      return Promise.resolve(null);
    }
    return this.#readFrame(frame).catch(() => {
      this.#useCanvas = true;
      return null;
    });
  }

  async #readFrame(frame: VideoFrame): Promise<number | null> {
    try {
      return await readStrip(frame, this.#buffer);
    } finally {
      frame.close();
    }
  }

  #readCanvas(video: HTMLVideoElement): number | null {
    if (this.#canvas === undefined) {
      const canvas = document.createElement('canvas');
      canvas.width = STRIP_WIDTH;
      canvas.height = STRIP_CELL;
      const context = canvas.getContext('2d', { willReadFrequently: true });
      if (!context) throw new Error('2D canvas is not available');
      this.#canvas = context;
    }
    // Only the strip's own pixels are copied back: a full-frame read-back would cost more still.
    this.#canvas.drawImage(video, 0, 0, STRIP_WIDTH, STRIP_CELL, 0, 0, STRIP_WIDTH, STRIP_CELL);
    return decodeStrip(rgbLuma(this.#canvas.getImageData(0, 0, STRIP_WIDTH, STRIP_CELL).data, STRIP_WIDTH));
  }
}

/** Room for the strip's rows in the largest layout readStrip copies (4 bytes a pixel). */
export function stripBuffer(): Uint8Array {
  return new Uint8Array(STRIP_WIDTH * STRIP_CELL * 4);
}

/**
 * The sequence number in a decoded frame (which stays open), copying only the strip's rows into
 * `buffer` (from stripBuffer()). Rejects for frames whose pixels it cannot read.
 */
export async function readStrip(frame: VideoFrame, buffer: Uint8Array): Promise<number | null> {
  const { format } = frame;
  if (format === null || frame.codedWidth < STRIP_WIDTH || frame.codedHeight < STRIP_CELL) throw new Error(`cannot copy the strip out of a ${format ?? 'opaque'} frame`);
  const [first] = await frame.copyTo(buffer, { rect: { x: 0, y: 0, width: STRIP_WIDTH, height: STRIP_CELL } });
  if (first === undefined) return null;
  if (PLANAR_8BIT.has(format)) return decodeStrip(planeLuma(buffer, first.stride, first.offset));
  if (format === 'RGBA' || format === 'RGBX') return decodeStrip(rgbLuma(buffer, first.stride / 4));
  if (format === 'BGRA' || format === 'BGRX') return decodeStrip(rgbLuma(buffer, first.stride / 4, 'bgra'));
  throw new Error(`no luma in ${format}`);
}
