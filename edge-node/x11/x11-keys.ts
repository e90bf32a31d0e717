/**
 * Player input as xdotool commands for an X display: KeyboardEvent.code to X keysyms, buttons to
 * X button numbers, wheel steps to buttons 4/5, and a gamepad emulated as the keys most games
 * already take (no /dev/uinput here for a real virtual pad).
 *
 * Key and click commands carry `--delay 0`: xdotool otherwise sleeps after each (12 ms for a key,
 * 100 ms between repeated clicks), and every command queued behind reaches the game that late.
 */
import type { InputEvent } from '../../protocol/input.js';

const NAMED: Record<string, string> = {
  ArrowLeft: 'Left', ArrowRight: 'Right', ArrowUp: 'Up', ArrowDown: 'Down',
  Space: 'space', Enter: 'Return', NumpadEnter: 'KP_Enter', Escape: 'Escape', Tab: 'Tab', Backspace: 'BackSpace', Delete: 'Delete', Insert: 'Insert',
  Home: 'Home', End: 'End', PageUp: 'Prior', PageDown: 'Next', CapsLock: 'Caps_Lock',
  ShiftLeft: 'Shift_L', ShiftRight: 'Shift_R', ControlLeft: 'Control_L', ControlRight: 'Control_R', AltLeft: 'Alt_L', AltRight: 'Alt_R', MetaLeft: 'Super_L', MetaRight: 'Super_R',
  Minus: 'minus', Equal: 'equal', BracketLeft: 'bracketleft', BracketRight: 'bracketright', Backslash: 'backslash', Semicolon: 'semicolon',
  Quote: 'apostrophe', Backquote: 'grave', Comma: 'comma', Period: 'period', Slash: 'slash',
  NumpadAdd: 'KP_Add', NumpadSubtract: 'KP_Subtract', NumpadMultiply: 'KP_Multiply', NumpadDivide: 'KP_Divide', NumpadDecimal: 'KP_Decimal',
};

/** The X keysym for a KeyboardEvent.code, or undefined for a key the node does not pass on. */
export function keysymFor(code: string): string | undefined {
  if (/^Key[A-Z]$/.test(code)) return code.slice(3).toLowerCase();
  if (/^Digit[0-9]$/.test(code)) return code.slice(5);
  if (/^Numpad[0-9]$/.test(code)) return `KP_${code.slice(6)}`;
  if (/^F([1-9]|1[0-2])$/.test(code)) return code;
  return NAMED[code];
}

/** Browser MouseEvent.button (0 left, 1 middle, 2 right, 3 back, 4 forward) to X button numbers. */
const X_BUTTON = [1, 2, 3, 8, 9] as const;
const WHEEL_UP = 4;
const WHEEL_DOWN = 5;
/** One X wheel click per this many CSS pixels of wheel delta (a notch is about 100). */
const WHEEL_STEP = 100;
const MAX_WHEEL_CLICKS = 10;
const STICK_DEAD_ZONE = 0.5;

/** The emulated pad: standard-mapping buttons and the left stick as keys. */
const PAD_BUTTON_KEYS: Record<number, string> = { 0: 'space', 1: 'Return', 8: 'Escape', 9: 'Escape', 12: 'Up', 13: 'Down', 14: 'Left', 15: 'Right' };

function keyCommand(down: boolean, keysym: string): string {
  return `${down ? 'keydown' : 'keyup'} --delay 0 ${keysym}`;
}

/** Translates input events to xdotool script lines, keeping the pad's held keys to send only changes. */
export class XInputTranslator {
  private padKeys = new Set<string>();

  commands(event: InputEvent): string[] {
    switch (event.t) {
      case 'key': {
        const keysym = keysymFor(event.code);
        return keysym ? [keyCommand(event.down, keysym)] : [];
      }
      case 'mmove':
        return [`mousemove_relative -- ${Math.round(event.dx)} ${Math.round(event.dy)}`];
      case 'mbtn':
        return [`${event.down ? 'mousedown' : 'mouseup'} ${X_BUTTON[event.button] ?? 1}`];
      case 'wheel': {
        const clicks = Math.min(MAX_WHEEL_CLICKS, Math.max(1, Math.round(Math.abs(event.dy) / WHEEL_STEP)));
        return [`click --delay 0 --repeat ${clicks} ${event.dy > 0 ? WHEEL_DOWN : WHEEL_UP}`];
      }
      case 'pad':
        return this.padCommands(event.axes, event.buttons);
    }
  }

  private padCommands(axes: number[], buttons: number[]): string[] {
    const held = new Set<string>();
    for (const [index, key] of Object.entries(PAD_BUTTON_KEYS)) if ((buttons[Number(index)] ?? 0) > 0.5) held.add(key);
    const [x = 0, y = 0] = axes;
    if (x < -STICK_DEAD_ZONE) held.add('Left');
    if (x > STICK_DEAD_ZONE) held.add('Right');
    if (y < -STICK_DEAD_ZONE) held.add('Up');
    if (y > STICK_DEAD_ZONE) held.add('Down');
    const lines: string[] = [];
    for (const key of this.padKeys) if (!held.has(key)) lines.push(keyCommand(false, key));
    for (const key of held) if (!this.padKeys.has(key)) lines.push(keyCommand(true, key));
    this.padKeys = held;
    return lines;
  }
}
