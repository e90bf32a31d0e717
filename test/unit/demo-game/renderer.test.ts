import { describe, expect, it } from 'vitest';
import { GameState } from '../../../edge-node/demo-game/game-state.js';
import { renderGame } from '../../../edge-node/demo-game/renderer-i420.js';
import { I420Canvas, rgbToYuv } from '../../../edge-node/game-sdk/index.js';
import { i420Size } from '../../../protocol/game-protocol.js';
import { STRIP_CELL, decodeStrip, planeLuma, rgbLuma } from '../../../protocol/latency-strip.js';
import { i420RowsToRgba } from './i420-to-rgba.js';

const WIDTH = 1280;
const HEIGHT = 720;

describe('I420 renderer', () => {
  it('renders a whole I420 frame in place, into the buffer it was given', () => {
    const target = Buffer.alloc(i420Size(WIDTH, HEIGHT));
    const canvas = new I420Canvas(WIDTH, HEIGHT, target);
    renderGame(canvas, new GameState({ width: WIDTH, height: HEIGHT, seed: 1 }));
    expect(canvas.data).toBe(target);
    expect(canvas.data.length).toBe(WIDTH * HEIGHT * 1.5);
    expect(canvas.yPlane.length + canvas.uPlane.length + canvas.vPlane.length).toBe(target.length);
    expect(() => new I420Canvas(WIDTH, HEIGHT, Buffer.alloc(10))).toThrow(RangeError);
  });

  it('converts colours to BT.601 limited range', () => {
    expect(rgbToYuv(255, 255, 255)).toEqual({ y: 235, u: 128, v: 128 });
    expect(rgbToYuv(0, 0, 0)).toEqual({ y: 16, u: 128, v: 128 });
    const red = rgbToYuv(255, 0, 0);
    expect(red.v).toBeGreaterThan(200);
  });

  it('draws the game without a strip, and the SDK\'s latency strip over it decodes back after YUV to RGB conversion', () => {
    const canvas = new I420Canvas(WIDTH, HEIGHT);
    const state = new GameState({ width: WIDTH, height: HEIGHT, seed: 3 });
    for (const seq of [0, 1, 12345, 0xabcdef, 0xffffff]) {
      renderGame(canvas, state);
      canvas.drawLatencyStrip(seq);
      // As a page reads it: the Y plane out of a VideoFrame, or RGB out of a canvas.
      expect(decodeStrip(planeLuma(canvas.yPlane, WIDTH))).toBe(seq);
      const rgba = i420RowsToRgba(canvas.data, WIDTH, HEIGHT, STRIP_CELL);
      expect(decodeStrip(rgbLuma(rgba, WIDTH))).toBe(seq);
      for (let i = 0; i < rgba.length; i += 4) [rgba[i], rgba[i + 2]] = [rgba[i + 2]!, rgba[i]!];
      expect(decodeStrip(rgbLuma(rgba, WIDTH, 'bgra'))).toBe(seq);
    }
    renderGame(canvas, state);
    expect(decodeStrip(planeLuma(canvas.yPlane, WIDTH))).toBeNull();
    expect(decodeStrip(rgbLuma(i420RowsToRgba(canvas.data, WIDTH, HEIGHT, STRIP_CELL), WIDTH))).toBeNull();
  });

  it('draws each digit differently, and the score into the frame', () => {
    const white = rgbToYuv(255, 255, 255);
    const glyphs = new Set<string>();
    for (let digit = 0; digit <= 9; digit++) {
      const canvas = new I420Canvas(32, 48);
      canvas.clear(rgbToYuv(0, 0, 0));
      canvas.drawDigit(4, 4, digit, 40, white);
      glyphs.add(canvas.yPlane.toString('base64'));
    }
    expect(glyphs.size).toBe(10);

    const render = (score: number): Buffer => {
      const state = new GameState({ width: WIDTH, height: HEIGHT, seed: 5 });
      state.score = score;
      const canvas = new I420Canvas(WIDTH, HEIGHT);
      renderGame(canvas, state);
      return canvas.data;
    };
    expect(render(17).equals(render(17))).toBe(true);
    expect(render(17).equals(render(18))).toBe(false);
  });

  it('clips shapes at the frame edges instead of wrapping into the next row', () => {
    const canvas = new I420Canvas(64, 36);
    const black = rgbToYuv(0, 0, 0);
    const magenta = rgbToYuv(255, 0, 255);
    canvas.clear(black);
    canvas.fillCircle(60, 18, 20, magenta);
    canvas.fillRect(50, -5, 40, 10, magenta);
    canvas.fillRect(-5, 40, 100, 10, magenta);
    for (let row = 0; row < 36; row++) {
      expect(canvas.yPlane.subarray(row * 64, row * 64 + 20).every((y) => y === black.y)).toBe(true);
      expect(canvas.yPlane[row * 64 + 63]).toBe(magenta.y);
    }
    for (let row = 0; row < 18; row++) expect(canvas.uPlane.subarray(row * 32, row * 32 + 10).every((u) => u === black.u)).toBe(true);
  });

  it('reports the render time per 720p frame (measured, not asserted)', () => {
    const state = new GameState({ width: WIDTH, height: HEIGHT, seed: 9 });
    const canvas = new I420Canvas(WIDTH, HEIGHT);
    const frames = 300;
    const times: number[] = [];
    for (let i = 0; i < frames; i++) {
      state.step(1000 / 60);
      const start = performance.now();
      renderGame(canvas, state);
      canvas.drawLatencyStrip(i);
      times.push(performance.now() - start);
    }
    // The first frames include JIT warm-up; the steady state is what a running game sees.
    const steady = times.slice(30).sort((a, b) => a - b);
    const mean = steady.reduce((sum, t) => sum + t, 0) / steady.length;
    const p95 = steady[Math.floor(steady.length * 0.95)] ?? 0;
    console.log(`demo-game render 1280x720: mean ${mean.toFixed(3)} ms, p95 ${p95.toFixed(3)} ms, first ${times[0]?.toFixed(3)} ms`);
    expect(times.length).toBe(frames);
  });
});
