/**
 * Draws Neon Arena into the SDK's I420 canvas.
 */
import { I420Canvas, STRIP_CELL, rgbToYuv } from '../game-sdk/index.js';
import type { GameState } from './game-state.js';

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

/** Draws one frame of Neon Arena (the SDK draws the latency strip over it when the node asks). */
export function renderGame(canvas: I420Canvas, state: GameState): void {
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
  // Below the latency strip's rows, so the strip (drawn over the frame) never hides the best score.
  canvas.drawNumber(24 * s, Math.max(STRIP_CELL + 4, 24 * s), state.best, Math.round(22 * s), BEST);
  const lifeRadius = 9 * s;
  for (let i = 0; i < state.lives; i++) {
    canvas.fillCircle(canvas.width - (28 + i * 28) * s, top / 2, lifeRadius, SHIP_HULL);
  }
}
