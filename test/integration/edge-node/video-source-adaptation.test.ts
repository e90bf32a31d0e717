/**
 * VideoSource on a real mediasoup worker and x264: keyframe requests rate-limited, and the ladder
 * rung applied to the frames (a new encoder at half size, half the frames at half rate).
 */
import pino from 'pino';
import type { types } from 'mediasoup';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { PIXEL_FORMAT_I420, type FrameHeader } from '../../../protocol/game-protocol.js';
import { loadMediasoup } from '../../../edge-node/media/mediasoup-loader.js';
import { routerMediaCodecs } from '../../../edge-node/media/router-config.js';
import { VideoSource } from '../../../edge-node/media/video-source.js';

const WIDTH = 640;
const HEIGHT = 360;
const FRAME_BYTES = (WIDTH * HEIGHT * 3) / 2;
/** A compound-less RTCP PLI (RFC 4585): V=2, FMT=1, PT=206, length 2. */
const PLI = Buffer.from([0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);

function header(frameNumber: number): FrameHeader {
  return { width: WIDTH, height: HEIGHT, format: PIXEL_FORMAT_I420, frameNumber, inputSeq: 0, renderTimeMs: frameNumber * (1000 / 60), payloadLength: FRAME_BYTES };
}

describe('video source adaptation', () => {
  let worker: types.Worker;
  let router: types.Router;
  let source: VideoSource;

  beforeAll(async () => {
    const mediasoup = await loadMediasoup();
    worker = await mediasoup.createWorker({ logLevel: 'error' });
    router = await worker.createRouter({ mediaCodecs: routerMediaCodecs });
  });
  afterEach(() => source?.close());
  afterAll(() => worker?.close());

  async function create(): Promise<VideoSource> {
    // A floor low enough for the half-rate rung of a frame this small.
    source = await VideoSource.create({ router, width: WIDTH, height: HEIGHT, fps: 60, playoutDelay: true, encoder: { minBitrateKbps: 100 }, logger: pino({ level: 'silent' }) });
    return source;
  }

  /** Sends `count` frames at 60 fps, calling `each` before every frame. */
  async function play(count: number, each: (frame: number) => void = () => undefined): Promise<void> {
    const pixels = Buffer.alloc(FRAME_BYTES, 0x80);
    for (let frame = 0; frame < count; frame++) {
      each(frame);
      pixels.fill(frame % 200, 0, WIDTH * HEIGHT);
      source.pushFrame(header(frame), pixels);
      await new Promise((resolve) => setTimeout(resolve, 1000 / 60));
    }
  }

  it('answers a flood of PLIs with at most one keyframe per 300 ms', async () => {
    await create();
    const started = performance.now();
    await play(60, () => {
      for (let i = 0; i < 5; i++) source.transport.emit('rtcp', PLI);
    });
    const seconds = (performance.now() - started) / 1000;
    expect(source.stats.keyframeRequests).toBe(300);
    // The first frame's own IDR, then one per 300 ms at most.
    expect(source.stats.keyframes).toBeGreaterThanOrEqual(2);
    expect(source.stats.keyframes).toBeLessThanOrEqual(2 + Math.ceil((seconds * 1000) / 300));
  });

  it('shapes the frames to the rung the congestion controller picks', async () => {
    await create();
    await play(10);
    expect(source.stats.rung).toEqual({ width: WIDTH, height: HEIGHT, fps: 60 });
    // A link well below what the full size needs, with the loss that shows it is the limit, for as
    // long as the ladder takes to come down both steps (bounded: a stuck ladder fails below).
    const halfRate = { width: WIDTH / 2, height: HEIGHT / 2, fps: 30 };
    for (let i = 0; i < 200 && JSON.stringify(source.stats.rung) !== JSON.stringify(halfRate); i++) {
      source.setAvailableBitrate(150_000);
      source.receiverReport({ fractionLost: 0.2 });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const skippedBefore = source.stats.framesSkipped;
    await play(30);
    expect(source.stats.rung).toEqual(halfRate);
    expect(source.stats.framesSkipped - skippedBefore).toBeGreaterThanOrEqual(12);
    expect(source.stats.bitrateKbps).toBeLessThanOrEqual(150);
  });
});
