/**
 * Turns the player's raw input events (protocol/input.ts) into the controls Neon Arena understands:
 * a movement vector, an aim rotation and a dash trigger.
 */
import type { InputEvent } from '../../protocol/input.js';

/** Radians of aim rotation per CSS pixel of relative mouse motion. */
const MOUSE_AIM_RADIANS_PER_PX = 0.006;
/** Sticks rest slightly off-centre; smaller deflections are noise, not intent. */
const STICK_DEADZONE = 0.15;

const UP = new Set(['KeyW', 'ArrowUp']);
const DOWN = new Set(['KeyS', 'ArrowDown']);
const LEFT = new Set(['KeyA', 'ArrowLeft']);
const RIGHT = new Set(['KeyD', 'ArrowRight']);
const DASH_KEY = 'Space';
const PAD_DASH_BUTTON = 0;

export interface PlayerControls {
  /** Movement keys currently held; only mapped codes, so the set stays small whatever the page sends. */
  heldKeys: Set<string>;
  stickX: number;
  stickY: number;
  /** Absolute aim from the right stick, or null while it rests. */
  padAim: number | null;
  /** Mouse rotation accumulated since the simulation last consumed it. */
  aimDelta: number;
  /** A dash was pressed since the simulation last consumed it (edge, not level, so holding does not repeat). */
  dashQueued: boolean;
  padDashHeld: boolean;
}

export function createControls(): PlayerControls {
  return { heldKeys: new Set(), stickX: 0, stickY: 0, padAim: null, aimDelta: 0, dashQueued: false, padDashHeld: false };
}

function deadzone(value: number | undefined): number {
  const v = value ?? 0;
  return Math.abs(v) < STICK_DEADZONE ? 0 : v;
}

export function applyInputEvent(controls: PlayerControls, event: InputEvent): void {
  switch (event.t) {
    case 'key':
      if (event.code === DASH_KEY) {
        // Key repeat sends further downs while held; only the first press should dash.
        if (event.down && !controls.heldKeys.has(DASH_KEY)) controls.dashQueued = true;
        if (event.down) controls.heldKeys.add(DASH_KEY);
        else controls.heldKeys.delete(DASH_KEY);
      } else if (UP.has(event.code) || DOWN.has(event.code) || LEFT.has(event.code) || RIGHT.has(event.code)) {
        if (event.down) controls.heldKeys.add(event.code);
        else controls.heldKeys.delete(event.code);
      }
      return;
    case 'mmove':
      controls.aimDelta += event.dx * MOUSE_AIM_RADIANS_PER_PX;
      return;
    case 'mbtn':
      if (event.down) controls.dashQueued = true;
      return;
    case 'pad': {
      controls.stickX = deadzone(event.axes[0]);
      controls.stickY = deadzone(event.axes[1]);
      const aimX = deadzone(event.axes[2]);
      const aimY = deadzone(event.axes[3]);
      controls.padAim = aimX !== 0 || aimY !== 0 ? Math.atan2(aimY, aimX) : null;
      const dashHeld = (event.buttons[PAD_DASH_BUTTON] ?? 0) > 0.5;
      if (dashHeld && !controls.padDashHeld) controls.dashQueued = true;
      controls.padDashHeld = dashHeld;
      return;
    }
    case 'wheel':
      return;
  }
}

function anyHeld(controls: PlayerControls, codes: Set<string>): boolean {
  for (const code of codes) if (controls.heldKeys.has(code)) return true;
  return false;
}

/** Desired movement direction and strength, length at most 1 (keys and stick add up, then clamp). */
export function movementVector(controls: PlayerControls): { x: number; y: number } {
  let x = controls.stickX + (anyHeld(controls, RIGHT) ? 1 : 0) - (anyHeld(controls, LEFT) ? 1 : 0);
  let y = controls.stickY + (anyHeld(controls, DOWN) ? 1 : 0) - (anyHeld(controls, UP) ? 1 : 0);
  const length = Math.hypot(x, y);
  if (length > 1) {
    x /= length;
    y /= length;
  }
  return { x, y };
}
