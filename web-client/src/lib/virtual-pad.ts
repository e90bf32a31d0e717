/**
 * Touch screens play through a virtual gamepad, as cloud-gaming touch controls do, so a game sees
 * the gamepad input it already maps: a finger that lands on the left half of the video is the
 * left stick, centred where it landed; a finger on the right half holds button 0 and, dragged, is
 * the right stick. Pure geometry, no DOM: InputCapture feeds it touch pointers.
 */

/** Apart from the first physical pads, so a connected controller and the touch controls do not fight over one index. */
export const VIRTUAL_PAD_INDEX = 3;
/** A thumb this far from where it landed is a full deflection. */
export const STICK_RADIUS_PX = 56;

interface Finger {
  side: 'left' | 'right';
  originX: number;
  originY: number;
  x: number;
  y: number;
}

export interface PadState {
  /** Left stick x, y, right stick x, y, each in [-1, 1], rounded to hundredths as physical pads are. */
  axes: number[];
  /** Button 0 (the right thumb is down). */
  buttons: number[];
}

export class VirtualPad {
  private readonly fingers = new Map<number, Finger>();

  /**
   * A finger landed at (x, y); left of `middleX`, the middle of the surface, it steers. The first
   * finger on each half takes it.
   */
  down(id: number, x: number, y: number, middleX: number): void {
    const side = x < middleX ? 'left' : 'right';
    if ([...this.fingers.values()].some((finger) => finger.side === side)) return;
    this.fingers.set(id, { side, originX: x, originY: y, x, y });
  }

  move(id: number, x: number, y: number): void {
    const finger = this.fingers.get(id);
    if (!finger) return;
    finger.x = x;
    finger.y = y;
  }

  up(id: number): void {
    this.fingers.delete(id);
  }

  /** Every finger lifted at once: the page lost focus, or the capture stopped. */
  releaseAll(): void {
    this.fingers.clear();
  }

  get active(): boolean {
    return this.fingers.size > 0;
  }

  state(): PadState {
    const axes = [0, 0, 0, 0];
    let dash = 0;
    for (const finger of this.fingers.values()) {
      const [x, y] = deflection(finger);
      const at = finger.side === 'left' ? 0 : 2;
      axes[at] = x;
      axes[at + 1] = y;
      if (finger.side === 'right') dash = 1;
    }
    return { axes, buttons: [dash] };
  }
}

/** The stick's position: the finger's offset from where it landed, clamped to the unit circle. */
function deflection(finger: Finger): [number, number] {
  let x = (finger.x - finger.originX) / STICK_RADIUS_PX;
  let y = (finger.y - finger.originY) / STICK_RADIUS_PX;
  const length = Math.hypot(x, y);
  if (length > 1) {
    x /= length;
    y /= length;
  }
  return [hundredths(x), hundredths(y)];
}

function hundredths(value: number): number {
  return Math.round(value * 100) / 100 || 0;
}
