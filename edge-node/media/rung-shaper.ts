/**
 * Fits the game's frames to the ladder rung being sent: passes only as many frames as the rung's
 * frame rate wants and halves their size when the rung is half the game's. The game keeps
 * rendering as it always does; the stream is what gets lighter.
 */
import type { Rung } from './video-ladder.js';

export class RungShaper {
  rung: Rung;
  private lastPassedMs = -Infinity;
  private scaled: Buffer | undefined;

  /**
   * `keepTopLeft`: a region copied unscaled into the top-left of a halved frame. The latency strip
   * (protocol/latency-strip.ts) lives there, and a page can only read it at its own size.
   */
  constructor(
    private readonly sourceWidth: number,
    private readonly sourceHeight: number,
    private readonly sourceFps: number,
    private readonly keepTopLeft?: { width: number; height: number },
  ) {
    this.rung = { width: sourceWidth, height: sourceHeight, fps: sourceFps, minKbps: 0 };
  }

  /**
   * The frame to encode for this rung, or undefined when the rung's frame rate skips this one.
   * A scaled frame lives in a buffer this shaper reuses: it is valid until the next call.
   */
  shape(pixels: Buffer, renderTimeMs: number): Buffer | undefined {
    if (this.rung.fps < this.sourceFps) {
      // Half a source period of slack, so a 60 fps game's every other frame passes at 30 fps despite jitter.
      const period = 1000 / this.rung.fps - 500 / this.sourceFps;
      if (renderTimeMs - this.lastPassedMs < period) return undefined;
    }
    this.lastPassedMs = renderTimeMs;
    if (this.rung.width === this.sourceWidth && this.rung.height === this.sourceHeight) return pixels;
    const bytes = (this.rung.width * this.rung.height * 3) / 2;
    if (this.scaled?.length !== bytes) this.scaled = Buffer.allocUnsafe(bytes);
    halveI420(pixels, this.sourceWidth, this.sourceHeight, this.scaled);
    if (this.keepTopLeft) copyTopLeft(pixels, this.sourceWidth, this.sourceHeight, this.scaled, this.keepTopLeft);
    return this.scaled;
  }
}

/** Halves an I420 frame each way, averaging each 2x2 block (width and height multiples of 4). */
export function halveI420(source: Buffer, width: number, height: number, target: Buffer): void {
  const lumaBytes = width * height;
  const chromaBytes = lumaBytes / 4;
  halvePlane(source, 0, width, height, target, 0);
  halvePlane(source, lumaBytes, width / 2, height / 2, target, lumaBytes / 4);
  halvePlane(source, lumaBytes + chromaBytes, width / 2, height / 2, target, lumaBytes / 4 + chromaBytes / 4);
}

/** Copies the top-left `region` of an I420 frame into a frame of half its size (even region sizes that fit). */
export function copyTopLeft(source: Buffer, width: number, height: number, target: Buffer, region: { width: number; height: number }): void {
  if (region.width > width / 2 || region.height > height / 2) return;
  const lumaBytes = width * height;
  const copyPlane = (from: number, stride: number, to: number, rows: number, columns: number): void => {
    for (let y = 0; y < rows; y++) source.copy(target, to + (y * stride) / 2, from + y * stride, from + y * stride + columns);
  };
  copyPlane(0, width, 0, region.height, region.width);
  copyPlane(lumaBytes, width / 2, lumaBytes / 4, region.height / 2, region.width / 2);
  copyPlane(lumaBytes + lumaBytes / 4, width / 2, lumaBytes / 4 + lumaBytes / 16, region.height / 2, region.width / 2);
}

function halvePlane(source: Buffer, from: number, width: number, height: number, target: Buffer, to: number): void {
  const outWidth = width >> 1;
  const outHeight = height >> 1;
  for (let y = 0; y < outHeight; y++) {
    let top = from + 2 * y * width;
    let bottom = top + width;
    let out = to + y * outWidth;
    for (let x = 0; x < outWidth; x++, top += 2, bottom += 2, out++) {
      target[out] = (source[top]! + source[top + 1]! + source[bottom]! + source[bottom + 1]! + 2) >> 2;
    }
  }
}
