import { describe, expect, it } from 'vitest';
import { STICK_RADIUS_PX, VirtualPad } from '../../../web-client/src/lib/virtual-pad.js';

/** The surface's middle: fingers left of it steer. */
const MIDDLE = 500;

describe('VirtualPad', () => {
  it('rests with no fingers down', () => {
    expect(new VirtualPad().state()).toEqual({ axes: [0, 0, 0, 0], buttons: [0] });
  });

  it('makes a finger on the left half the left stick, centred where it landed and clamped to a full deflection', () => {
    const pad = new VirtualPad();
    pad.down(1, 200, 400, MIDDLE);
    pad.move(1, 200 + STICK_RADIUS_PX / 2, 400);
    expect(pad.state()).toEqual({ axes: [0.5, 0, 0, 0], buttons: [0] });
    pad.move(1, 200, 400 - 10 * STICK_RADIUS_PX);
    expect(pad.state().axes).toEqual([0, -1, 0, 0]);
    pad.move(1, 200 + 3 * STICK_RADIUS_PX, 400 + 4 * STICK_RADIUS_PX);
    expect(pad.state().axes).toEqual([0.6, 0.8, 0, 0]);
    pad.up(1);
    expect(pad.state()).toEqual({ axes: [0, 0, 0, 0], buttons: [0] });
  });

  it('makes a finger on the right half hold button 0 and aim with the right stick, alongside the left one', () => {
    const pad = new VirtualPad();
    pad.down(1, 100, 300, MIDDLE);
    pad.down(2, 800, 300, MIDDLE);
    pad.move(1, 100 - STICK_RADIUS_PX, 300);
    pad.move(2, 800, 300 + STICK_RADIUS_PX / 4);
    expect(pad.state()).toEqual({ axes: [-1, 0, 0, 0.25], buttons: [1] });
    pad.up(2);
    expect(pad.state()).toEqual({ axes: [-1, 0, 0, 0], buttons: [0] });
  });

  it('ignores a second finger on a half already held, and fingers it never saw land', () => {
    const pad = new VirtualPad();
    pad.down(1, 100, 300, MIDDLE);
    pad.down(2, 300, 300, MIDDLE);
    pad.move(2, 300 + STICK_RADIUS_PX, 300);
    pad.move(9, 0, 0);
    pad.up(9);
    expect(pad.state().axes).toEqual([0, 0, 0, 0]);
    expect(pad.active).toBe(true);
  });
});
