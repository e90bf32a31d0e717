import { describe, expect, it } from 'vitest';
import { InputLatency, REMEMBERED_INPUTS } from '../../../web-client/src/lib/input-latency.js';
import { chooseView } from '../../../web-client/src/lib/view-choice.js';

describe('InputLatency', () => {
  it('counts every input a frame answers, from each input\'s own time, not only the newest', () => {
    const inputAt = new Map([
      [1, 100],
      [2, 104],
      [3, 110],
    ]);
    const latency = new InputLatency(inputAt);
    // One frame shows inputs 1-3 at once: three samples, the oldest input the slowest.
    latency.frameShown(3, 130);
    expect(latency.samples).toEqual([30, 26, 20]);
    expect(latency.lastFrameSeq).toBe(3);
  });

  it('answers an input once: later frames showing the same or an older number add nothing', () => {
    const inputAt = new Map([
      [1, 0],
      [2, 50],
    ]);
    const latency = new InputLatency(inputAt);
    latency.frameShown(1, 20);
    latency.frameShown(1, 36);
    latency.frameShown(0, 40);
    latency.frameShown(2, 70);
    latency.frameShown(2, 86);
    expect(latency.samples).toEqual([20, 20]);
    expect(latency.lastFrameSeq).toBe(2);
  });

  it('skips inputs it has no time for (dropped before sending, or forgotten) and looks back a bounded way', () => {
    const inputAt = new Map([
      [REMEMBERED_INPUTS + 10, 5],
      [2, 1],
    ]);
    const latency = new InputLatency(inputAt);
    latency.frameShown(REMEMBERED_INPUTS + 10, 25);
    // Input 2 lies further back than the capture remembers: only the newest counts.
    expect(latency.samples).toEqual([20]);
  });

  it('reports percentiles over a recent window', () => {
    const inputAt = new Map(Array.from({ length: 100 }, (_, i) => [i + 1, 0] as const));
    const latency = new InputLatency(inputAt);
    for (let seq = 1; seq <= 100; seq++) latency.frameShown(seq, seq);
    expect(latency.percentile(50)).toBe(51);
    expect(latency.percentile(95)).toBe(96);
    expect(latency.percentile(50, 10)).toBe(96);
    expect(new InputLatency(new Map()).percentile(50)).toBeNull();
  });
});

describe('chooseView', () => {
  it('shows the stream in a <video> element unless the page asks for the canvas and the browser can paint one', () => {
    expect(chooseView('', true)).toBe('video');
    expect(chooseView('?view=canvas', true)).toBe('canvas');
    expect(chooseView('?view=canvas', false)).toBe('video');
    expect(chooseView('?view=video', true)).toBe('video');
    expect(chooseView('?view=anything', true)).toBe('video');
  });
});
