/**
 * Software rendering straight into I420, the encoder's input format, so no colour conversion
 * pass is needed per frame. Everything is drawn as horizontal spans with typed-array fill(),
 * which keeps a 720p frame well under the frame budget in plain JavaScript.
 */
import { i420Size } from '../../protocol/game-protocol.js';
import { STRIP_CELL, stripCellLumas } from '../../protocol/latency-strip.js';
import type { GameState } from './game-state.js';

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

  /** The latency strip of protocol/latency-strip.ts: neutral chroma so every cell decodes to pure grey. */
  drawLatencyStrip(seq: number): void {
    const lumas = stripCellLumas(seq);
    for (let cell = 0; cell < lumas.length; cell++) {
      this.fillRect(cell * STRIP_CELL, 0, STRIP_CELL, STRIP_CELL, { y: lumas[cell]!, u: 128, v: 128 });
    }
  }
}

const BACKGROUND = rgbToYuv(8, 10, 28);
const HUD_BAND = rgbToYuv(16, 18, 46);
const GRID_DOT = rgbToYuv(70, 56, 150);
const ARENA_EDGE = rgbToYuv(0, 229, 255);
const ORB_HALO = rgbToYuv(16, 70, 52);
const ORB_GLOW = rgbToYuv(40, 210, 120);
const ORB_CORE = rgbToYuv(200, 255, 220);
const HAZARD_RIM = rgbToYuv(255, 40, 100);
const HAZARD_BODY = rgbToYuv(110, 8, 40);
const HAZARD_CORE = rgbToYuv(255, 130, 160);
const SHIP_HULL = rgbToYuv(0, 200, 255);
const SHIP_COCKPIT = rgbToYuv(10, 30, 70);
const SHIP_NOSE = rgbToYuv(255, 230, 80);
const SHIP_TRAIL = rgbToYuv(0, 90, 140);
const ENGINE_FLAME = rgbToYuv(255, 140, 30);
const SCORE = rgbToYuv(255, 230, 80);
const BEST = rgbToYuv(150, 150, 190);

const GRID_SPACING = 64;
const ORB_PULSE_MS = 700;
const INVULNERABLE_BLINK_MS = 100;

/** Draws one frame of Neon Arena; `latencyStripSeq` null leaves the strip out. */
export function renderGame(canvas: I420Canvas, state: GameState, latencyStripSeq: number | null): void {
  const s = state.scale;
  const { left, top, right, bottom } = state.arena;
  const edge = Math.max(1, Math.round(3 * s));

  canvas.clear(BACKGROUND);
  canvas.fillRect(0, 0, canvas.width, top - edge, HUD_BAND);
  const spacing = GRID_SPACING * s;
  const dot = Math.max(1, Math.round(2 * s));
  for (let gy = top + spacing / 2; gy < bottom; gy += spacing) {
    for (let gx = left + spacing / 2; gx < right; gx += spacing) canvas.fillRect(gx, gy, dot, dot, GRID_DOT);
  }
  canvas.fillRect(left - edge, top - edge, right - left + 2 * edge, edge, ARENA_EDGE);
  canvas.fillRect(left - edge, bottom, right - left + 2 * edge, edge, ARENA_EDGE);
  canvas.fillRect(left - edge, top, edge, bottom - top, ARENA_EDGE);
  canvas.fillRect(right, top, edge, bottom - top, ARENA_EDGE);

  for (const orb of state.orbs) {
    const pulse = 0.5 + 0.5 * Math.sin(orb.phase + (state.timeMs / ORB_PULSE_MS) * Math.PI);
    canvas.fillCircle(orb.x, orb.y, orb.radius * (1.9 + 0.5 * pulse), ORB_HALO);
    canvas.fillCircle(orb.x, orb.y, orb.radius * 1.3, ORB_GLOW);
    canvas.fillCircle(orb.x, orb.y, orb.radius * 0.7, ORB_CORE);
  }

  for (const hazard of state.hazards) {
    canvas.fillCircle(hazard.x, hazard.y, hazard.radius, HAZARD_RIM);
    canvas.fillCircle(hazard.x, hazard.y, hazard.radius * 0.75, HAZARD_BODY);
    canvas.fillCircle(hazard.x, hazard.y, hazard.radius * 0.3, HAZARD_CORE);
  }

  const ship = state.ship;
  const blinkedOut = state.invulnerableMs > 0 && Math.floor(state.timeMs / INVULNERABLE_BLINK_MS) % 2 === 1;
  if (!blinkedOut) {
    if (ship.dashMs > 0) {
      for (let i = 3; i >= 1; i--) {
        canvas.fillCircle(ship.x - ship.vx * 0.012 * i, ship.y - ship.vy * 0.012 * i, ship.radius * (1 - 0.2 * i), SHIP_TRAIL);
      }
    }
    const speed = Math.hypot(ship.vx, ship.vy);
    if (speed > 40 * s) {
      const back = ship.radius * 1.05;
      canvas.fillCircle(ship.x - (ship.vx / speed) * back, ship.y - (ship.vy / speed) * back, ship.radius * 0.45, ENGINE_FLAME);
    }
    canvas.fillCircle(ship.x, ship.y, ship.radius, SHIP_HULL);
    canvas.fillCircle(ship.x, ship.y, ship.radius * 0.55, SHIP_COCKPIT);
    const nose = ship.radius * 0.95;
    canvas.fillCircle(ship.x + Math.cos(ship.angle) * nose, ship.y + Math.sin(ship.angle) * nose, ship.radius * 0.38, SHIP_NOSE);
  }

  const scoreHeight = Math.round(36 * s);
  canvas.drawNumber((canvas.width - I420Canvas.numberWidth(state.score, scoreHeight)) / 2, 10 * s, state.score, scoreHeight, SCORE);
  // Below the latency strip's rows, so the strip (drawn last) never hides the best score.
  canvas.drawNumber(24 * s, Math.max(STRIP_CELL + 4, 24 * s), state.best, Math.round(22 * s), BEST);
  const lifeRadius = 9 * s;
  for (let i = 0; i < state.lives; i++) {
    canvas.fillCircle(canvas.width - (28 + i * 28) * s, top / 2, lifeRadius, SHIP_HULL);
  }

  if (latencyStripSeq !== null) canvas.drawLatencyStrip(latencyStripSeq);
}
