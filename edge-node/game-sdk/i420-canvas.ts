/**
 * A frame a game draws into: I420 (the node's input format, so no colour conversion pass is
 * needed per frame), drawn as horizontal spans with typed-array fill(), which keeps a 720p frame
 * well under the frame budget in plain JavaScript. A game can also write the planes directly.
 */
import { i420Size } from '../../protocol/game-protocol.js';
import { stampStripI420 } from '../../protocol/latency-strip.js';

export interface Yuv {
  y: number;
  u: number;
  v: number;
}

/** BT.601 limited range, what H.264 decoders in browsers assume for untagged video. */
export function rgbToYuv(r: number, g: number, b: number): Yuv {
  const clamp = (value: number): number => Math.max(0, Math.min(255, Math.round(value)));
  return {
    y: clamp(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255),
    u: clamp(128 + (-37.797 * r - 74.203 * g + 112 * b) / 255),
    v: clamp(128 + (112 * r - 93.786 * g - 18.214 * b) / 255),
  };
}

/** Seven-segment masks, bit 0 = top segment "a" through bit 6 = middle segment "g". */
const SEGMENTS = [0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f] as const;

/** Fills the pixels whose centres lie inside a circle, one span per row. */
function fillDisc(plane: Buffer, width: number, height: number, cx: number, cy: number, r: number, value: number): void {
  const rowStart = Math.max(0, Math.ceil(cy - r - 0.5));
  const rowEnd = Math.min(height - 1, Math.floor(cy + r - 0.5));
  for (let row = rowStart; row <= rowEnd; row++) {
    const dy = row + 0.5 - cy;
    const half = Math.sqrt(Math.max(0, r * r - dy * dy));
    const x0 = Math.max(0, Math.ceil(cx - half - 0.5));
    const x1 = Math.min(width - 1, Math.floor(cx + half - 0.5));
    if (x0 <= x1) plane.fill(value, row * width + x0, row * width + x1 + 1);
  }
}

export class I420Canvas {
  readonly width: number;
  readonly height: number;
  readonly chromaWidth: number;
  readonly chromaHeight: number;
  /** The whole frame (Y, then U, then V); drawing writes into it in place. */
  readonly data: Buffer;
  readonly yPlane: Buffer;
  readonly uPlane: Buffer;
  readonly vPlane: Buffer;

  /** `data` lets the caller render into a slice of a larger buffer, e.g. right after a frame header. */
  constructor(width: number, height: number, data: Buffer = Buffer.alloc(i420Size(width, height))) {
    const size = i420Size(width, height);
    if (data.length !== size) throw new RangeError(`an I420 ${width}x${height} frame needs ${size} bytes, got ${data.length}`);
    this.width = width;
    this.height = height;
    this.chromaWidth = width >> 1;
    this.chromaHeight = height >> 1;
    this.data = data;
    const lumaSize = width * height;
    const chromaSize = this.chromaWidth * this.chromaHeight;
    this.yPlane = data.subarray(0, lumaSize);
    this.uPlane = data.subarray(lumaSize, lumaSize + chromaSize);
    this.vPlane = data.subarray(lumaSize + chromaSize, lumaSize + 2 * chromaSize);
  }

  clear(colour: Yuv): void {
    this.yPlane.fill(colour.y);
    this.uPlane.fill(colour.u);
    this.vPlane.fill(colour.v);
  }

  fillRect(x: number, y: number, w: number, h: number, colour: Yuv): void {
    const x0 = Math.max(0, Math.round(x));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y0 = Math.max(0, Math.round(y));
    const y1 = Math.min(this.height, Math.round(y + h));
    if (x0 >= x1 || y0 >= y1) return;
    for (let row = y0; row < y1; row++) this.yPlane.fill(colour.y, row * this.width + x0, row * this.width + x1);
    // Chroma covers every 2x2 block the rectangle touches, so thin lines keep their colour.
    const cx0 = x0 >> 1;
    const cx1 = Math.min(this.chromaWidth, (x1 + 1) >> 1);
    const cy1 = Math.min(this.chromaHeight, (y1 + 1) >> 1);
    for (let row = y0 >> 1; row < cy1; row++) {
      const start = row * this.chromaWidth;
      this.uPlane.fill(colour.u, start + cx0, start + cx1);
      this.vPlane.fill(colour.v, start + cx0, start + cx1);
    }
  }

  fillCircle(cx: number, cy: number, r: number, colour: Yuv): void {
    fillDisc(this.yPlane, this.width, this.height, cx, cy, r, colour.y);
    fillDisc(this.uPlane, this.chromaWidth, this.chromaHeight, cx / 2, cy / 2, r / 2, colour.u);
    fillDisc(this.vPlane, this.chromaWidth, this.chromaHeight, cx / 2, cy / 2, r / 2, colour.v);
  }

  /** Horizontal distance from one digit to the next, for a digit `height` pixels tall. */
  private static digitAdvance(height: number): number {
    return Math.round(height * 0.55) + 2 * I420Canvas.segmentThickness(height);
  }

  static numberWidth(value: number, height: number): number {
    const digits = String(Math.max(0, Math.floor(value))).length;
    return digits * I420Canvas.digitAdvance(height) - 2 * I420Canvas.segmentThickness(height);
  }

  private static segmentThickness(height: number): number {
    return Math.max(2, Math.round(height / 8));
  }

  drawDigit(x: number, y: number, digit: number, height: number, colour: Yuv): void {
    const mask = SEGMENTS[digit] ?? 0;
    const t = I420Canvas.segmentThickness(height);
    const w = Math.round(height * 0.55);
    const half = Math.round(height / 2);
    if (mask & 0x01) this.fillRect(x, y, w, t, colour);
    if (mask & 0x02) this.fillRect(x + w - t, y, t, half, colour);
    if (mask & 0x04) this.fillRect(x + w - t, y + half, t, height - half, colour);
    if (mask & 0x08) this.fillRect(x, y + height - t, w, t, colour);
    if (mask & 0x10) this.fillRect(x, y + half, t, height - half, colour);
    if (mask & 0x20) this.fillRect(x, y, t, half, colour);
    if (mask & 0x40) this.fillRect(x, y + half - (t >> 1), w, t, colour);
  }

  /** Draws a non-negative integer with its left edge at `x`. */
  drawNumber(x: number, y: number, value: number, height: number, colour: Yuv): void {
    const text = String(Math.max(0, Math.floor(value)));
    const advance = I420Canvas.digitAdvance(height);
    for (let i = 0; i < text.length; i++) this.drawDigit(x + i * advance, y, text.charCodeAt(i) - 48, height, colour);
  }

  /** The latency strip of protocol/latency-strip.ts over the top-left corner, carrying `seq`. */
  drawLatencyStrip(seq: number): void {
    stampStripI420(this.data, this.width, this.height, seq);
  }
}
