/** Frames fitted to a ladder rung: half the frame rate, half the size. */
import { describe, expect, it } from 'vitest';
import { copyTopLeft, halveI420, RungShaper } from '../../../edge-node/media/rung-shaper.js';

const W = 8;
const H = 4;

function frame(fill: (plane: 'y' | 'u' | 'v', x: number, y: number) => number): Buffer {
  const out = Buffer.alloc((W * H * 3) / 2);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[y * W + x] = fill('y', x, y);
  const cw = W / 2;
  for (let y = 0; y < H / 2; y++) {
    for (let x = 0; x < cw; x++) {
      out[W * H + y * cw + x] = fill('u', x, y);
      out[W * H + (W * H) / 4 + y * cw + x] = fill('v', x, y);
    }
  }
  return out;
}

describe('rung shaper', () => {
  it('passes frames untouched on the full rung', () => {
    const shaper = new RungShaper(W, H, 60);
    const pixels = frame(() => 7);
    expect(shaper.shape(pixels, 0)).toBe(pixels);
    expect(shaper.shape(pixels, 16.7)).toBe(pixels);
  });

  it('passes every other frame of a 60 fps game at 30 fps, despite jitter', () => {
    const shaper = new RungShaper(W, H, 60);
    shaper.rung = { width: W, height: H, fps: 30, minKbps: 0 };
    const pixels = frame(() => 7);
    const passed = [];
    for (let i = 0; i < 60; i++) {
      const jitter = (i % 3) - 1;
      if (shaper.shape(pixels, i * (1000 / 60) + jitter) !== undefined) passed.push(i);
    }
    expect(passed.length).toBe(30);
  });

  it('halves each plane by averaging 2x2 blocks', () => {
    const pixels = frame((plane, x, y) => (plane === 'y' ? (x % 2) * 100 + (y % 2) * 20 : plane === 'u' ? 10 + x : 200 - y));
    const out = Buffer.alloc((W * H * 3) / 8);
    halveI420(pixels, W, H, out);
    // Luma blocks: (0 + 100 + 20 + 120) / 4 = 60.
    expect([...out.subarray(0, 8)]).toEqual([60, 60, 60, 60, 60, 60, 60, 60]);
    // U: columns 10,11 -> 10.5 -> 11 (rounded), 12,13 -> 13.
    expect([...out.subarray(8, 10)]).toEqual([11, 13]);
    // V: rows 200,199 -> 199.5 -> 200 (rounded).
    expect([...out.subarray(10, 12)]).toEqual([200, 200]);
  });

  it('gives a half-size frame on a half-size rung', () => {
    const shaper = new RungShaper(W, H, 60);
    shaper.rung = { width: W / 2, height: H / 2, fps: 60, minKbps: 0 };
    expect(shaper.shape(frame(() => 50), 0)?.length).toBe((W * H * 3) / 8);
  });

  it('keeps a top-left region (the latency strip) at full size in a halved frame', () => {
    const pixels = frame((plane, x, y) => (plane === 'y' ? 10 * y + x : plane === 'u' ? 100 + x : 150 + y));
    const out = Buffer.alloc((W * H * 3) / 8);
    halveI420(pixels, W, H, out);
    copyTopLeft(pixels, W, H, out, { width: 2, height: 2 });
    // Luma of the half frame is 4x2: its first two rows start with the source's first 2x2 pixels.
    expect([...out.subarray(0, 2)]).toEqual([0, 1]);
    expect([...out.subarray(4, 6)]).toEqual([10, 11]);
    // Chroma planes (2x1 each) start with the source's first chroma sample.
    expect(out[8]).toBe(100);
    expect(out[10]).toBe(150);
  });

  it('leaves a region too large for the halved frame alone', () => {
    const pixels = frame(() => 200);
    const out = Buffer.alloc((W * H * 3) / 8, 7);
    copyTopLeft(pixels, W, H, out, { width: W, height: 2 });
    expect(out.every((v) => v === 7)).toBe(true);
  });
});
