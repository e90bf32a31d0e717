/**
 * The stream on a bad network: Chromium behind an impaired link (test/support/impaired-link), the
 * node's encoder following the congestion controller. Asserts behaviour, never timings: the sent
 * bitrate ends under a link that dropped, the ladder steps down and back up, NACK repairs loss,
 * and frames flow again after a loss burst.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playBehindLink, type PlayBehindLink } from '../support/impaired-link/play-behind-link.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('streaming over an impaired link', () => {
  let play: PlayBehindLink;

  beforeAll(async () => {
    play = await playBehindLink({ impairment: { rateKbit: 10_000, rttMs: 20, lossPercent: 1 }, latencyStrip: true });
  });
  afterAll(async () => {
    await play?.close();
  });

  const video = () => play.session().video.stats;

  /** Frames delivered to the page per second over `ms`. */
  async function presentedFps(ms: number): Promise<number> {
    const before = (await play.snapshot()).framesPresented;
    await sleep(ms);
    return (((await play.snapshot()).framesPresented - before) * 1000) / ms;
  }

  /** The node's sent video bitrate over `ms`, kbit/s. */
  async function sentKbps(ms: number): Promise<number> {
    const before = video().bytesSent;
    await sleep(ms);
    return ((video().bytesSent - before) * 8) / ms;
  }

  it('negotiates NACK and repairs random loss with retransmissions', async () => {
    const consumer = play.session().videoConsumer!;
    expect(consumer.rtpParameters.codecs[0]?.rtcpFeedback).toContainEqual({ type: 'nack', parameter: '' });
    await expect.poll(async () => (await consumer.getStats()).find((s) => s.type === 'outbound-rtp')?.packetsRetransmitted ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await presentedFps(2000)).toBeGreaterThan(0);
  }, 40_000);

  it('follows a link that drops to 2 Mbit/s under the limit, steps down the ladder below what full size needs, and climbs back when it recovers', async () => {
    await play.link.set({ rateKbit: 2000, rttMs: 20 });
    await expect.poll(() => video().bitrateKbps, { timeout: 10_000, interval: 100 }).toBeLessThan(2000);
    await sleep(2000);
    expect(await sentKbps(3000)).toBeLessThan(2000);

    const fullSizeFps = await presentedFps(2000);
    await play.link.set({ rateKbit: 700, rttMs: 20 });
    await expect.poll(() => video().rung.width, { timeout: 15_000 }).toBe(640);
    await sleep(2000);
    expect(await sentKbps(3000)).toBeLessThan(700);
    // Frames keep coming on the lower rung (at the rung's rate or its half; the machine may be busy).
    expect(await presentedFps(2000)).toBeGreaterThan(fullSizeFps * 0.25);
    // The latency strip stays readable at half size: the page still sees which input a frame shows.
    await play.page.keyboard.press('KeyD');
    const sent = (await play.snapshot()).lastInputSeq;
    await play.page.waitForFunction((seq) => window.edgeplay?.snapshot()?.lastFrameSeq === seq, sent, { timeout: 10_000 });

    await play.link.set({});
    await expect.poll(() => video().rung, { timeout: 60_000, interval: 500 }).toMatchObject({ width: 1280, height: 720, fps: 60 });
  }, 120_000);

  it('answers a loss burst with a handful of keyframes, not a storm, and frames flow again after it', async () => {
    await play.link.set({ rttMs: 20 });
    const fpsBefore = await presentedFps(2000);
    const keyframesBefore = video().keyframes;
    await play.link.lossBurst(30, 1000);
    await sleep(1000);
    // At most one keyframe per 300 ms over the burst and the second after it, plus one a rung change may bring.
    expect(video().keyframes - keyframesBefore).toBeLessThanOrEqual(2000 / 300 + 2);
    expect(await presentedFps(2000)).toBeGreaterThan(fpsBefore * 0.5);
  }, 30_000);
});
