import { describe, expect, it } from 'vitest';
import { i420Size } from '../../../protocol/game-protocol.js';
import { decodeStrip, planeLuma, stampStripI420 } from '../../../protocol/latency-strip.js';
import { keysymFor, XInputTranslator } from '../../../edge-node/x11/x11-keys.js';

describe('x11 input translation', () => {
  it('maps KeyboardEvent codes to X keysyms and drops keys it does not know', () => {
    expect(keysymFor('KeyW')).toBe('w');
    expect(keysymFor('Digit7')).toBe('7');
    expect(keysymFor('ArrowLeft')).toBe('Left');
    expect(keysymFor('Space')).toBe('space');
    expect(keysymFor('F12')).toBe('F12');
    expect(keysymFor('F13')).toBeUndefined();
    expect(keysymFor('Launch')).toBeUndefined();
    expect(new XInputTranslator().commands({ t: 'key', seq: 1, code: 'Launch', down: true })).toEqual([]);
  });

  it('turns pointer-locked motion, buttons and the wheel into xdotool commands', () => {
    const x = new XInputTranslator();
    expect(x.commands({ t: 'mmove', seq: 1, dx: -3.6, dy: 12 })).toEqual(['mousemove_relative -- -4 12']);
    expect(x.commands({ t: 'mbtn', seq: 2, button: 2, down: true })).toEqual(['mousedown 3']);
    expect(x.commands({ t: 'wheel', seq: 3, dy: 250 })).toEqual(['click --repeat 3 5']);
    expect(x.commands({ t: 'wheel', seq: 4, dy: -1 })).toEqual(['click --repeat 1 4']);
  });

  it('emulates a pad as keys, sending only what changed', () => {
    const x = new XInputTranslator();
    expect(x.commands({ t: 'pad', seq: 1, index: 0, axes: [-0.9, 0], buttons: [1] })).toEqual(['keydown space', 'keydown Left']);
    expect(x.commands({ t: 'pad', seq: 2, index: 0, axes: [-0.9, 0], buttons: [1] })).toEqual([]);
    expect(x.commands({ t: 'pad', seq: 3, index: 0, axes: [0, 0], buttons: [0] })).toEqual(['keyup space', 'keyup Left']);
  });
});

describe('latency strip stamped on captured frames', () => {
  it('reads back the stamped sequence number at 640x480', () => {
    const frame = Buffer.alloc(i420Size(640, 480), 90);
    stampStripI420(frame, 640, 480, 0xabcde);
    expect(decodeStrip(planeLuma(frame, 640))).toBe(0xabcde);
  });
});
