import { describe, expect, it } from 'vitest';
import { i420Size } from '../../../protocol/game-protocol.js';
import { decodeStrip, planeLuma, stampStripI420 } from '../../../protocol/latency-strip.js';
import { InjectionLog } from '../../../edge-node/x11/injection-log.js';
import { captureTimeMs } from '../../../edge-node/x11/screen-capture.js';
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
    expect(x.commands({ t: 'wheel', seq: 3, dy: 250 })).toEqual(['click --delay 0 --repeat 3 5']);
    expect(x.commands({ t: 'wheel', seq: 4, dy: -1 })).toEqual(['click --delay 0 --repeat 1 4']);
  });

  it('emulates a pad as keys, sending only what changed', () => {
    const x = new XInputTranslator();
    expect(x.commands({ t: 'pad', seq: 1, index: 0, axes: [-0.9, 0], buttons: [1] })).toEqual(['keydown --delay 0 space', 'keydown --delay 0 Left']);
    expect(x.commands({ t: 'pad', seq: 2, index: 0, axes: [-0.9, 0], buttons: [1] })).toEqual([]);
    expect(x.commands({ t: 'pad', seq: 3, index: 0, axes: [0, 0], buttons: [0] })).toEqual(['keyup --delay 0 space', 'keyup --delay 0 Left']);
  });
});

describe('latency strip stamped on captured frames', () => {
  it('reads back the stamped sequence number at 640x480', () => {
    const frame = Buffer.alloc(i420Size(640, 480), 90);
    stampStripI420(frame, 640, 480, 0xabcde);
    expect(decodeStrip(planeLuma(frame, 640))).toBe(0xabcde);
  });
});

describe('which input a captured frame can show', () => {
  it('reads when a capture began from the line ffmpeg logs as it reads the grabbed packet', () => {
    const line = 'demuxer -> ist_index:0 type:video next_dts:NOPTS next_dts_time:NOPTS next_pts:NOPTS next_pts_time:NOPTS pkt_pts:1796526296916480 pkt_pts_time:1.79653e+09 pkt_dts:1796526296916480 pkt_dts_time:1.79653e+09 duration:16667 duration_time:0.016667 off:0 off_time:0';
    expect(captureTimeMs(line)).toBe(1796526296916.48);
    expect(captureTimeMs(line.replace('demuxer ->', 'demuxer+ffmpeg ->'))).toBeUndefined();
    expect(captureTimeMs('encoder <- type:video frame_pts:107791577815 frame_pts_time:1.79653e+09 time_base:1/60')).toBeUndefined();
  });

  it('stamps the last input injected before the capture began, not one injected while the frame was on its way', () => {
    const log = new InjectionLog();
    expect(log.lastBefore(1000)).toBe(0);
    log.record(1, 1001);
    log.record(2, 1010);
    // Read by the node after input 2 went in, but captured before it.
    expect(log.lastBefore(1005)).toBe(1);
    log.record(3, 1030);
    expect(log.lastBefore(1022)).toBe(2);
    expect(log.lastBefore(1039)).toBe(3);
    // Injected at the very moment of the capture: not before it.
    log.record(4, 1050);
    expect(log.lastBefore(1050)).toBe(3);
  });

  it('stays bounded while inputs come and frames do not', () => {
    const log = new InjectionLog();
    for (let seq = 1; seq <= 5000; seq++) log.record(seq, seq);
    expect(log.lastBefore(10)).toBe(5000 - 1024);
    expect(log.lastBefore(5001)).toBe(5000);
  });
});
