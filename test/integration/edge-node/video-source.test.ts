/** VideoSource on a real mediasoup worker and the real x264 encoder: what happens to frames that arrive while one encodes. */
import pino from 'pino';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIXEL_FORMAT_I420, type FrameHeader } from '../../../protocol/game-protocol.js';
import { loadMediasoup } from '../../../edge-node/media/mediasoup-loader.js';
import { routerMediaCodecs } from '../../../edge-node/media/router-config.js';
import { VideoSource } from '../../../edge-node/media/video-source.js';

const WIDTH = 1280;
const HEIGHT = 720;
const FRAME_BYTES = (WIDTH * HEIGHT * 3) / 2;

function header(frameNumber: number): FrameHeader {
  return { width: WIDTH, height: HEIGHT, format: PIXEL_FORMAT_I420, frameNumber, inputSeq: 0, renderTimeMs: 1_000 + frameNumber * 16, payloadLength: FRAME_BYTES };
}

describe('video source', () => {
  let worker: types.Worker;
  let source: VideoSource;

  beforeAll(async () => {
    const mediasoup = await loadMediasoup();
    worker = await mediasoup.createWorker({ logLevel: 'error' });
    const router = await worker.createRouter({ mediaCodecs: routerMediaCodecs });
    source = await VideoSource.create({ router, width: WIDTH, height: HEIGHT, fps: 60, playoutDelay: true, encoder: {}, logger: pino({ level: 'silent' }) });
  });
  afterAll(() => {
    source?.close();
    worker?.close();
  });

  it('encodes the newest frame that arrived during an encode as soon as it ends, and drops the ones it replaced', async () => {
    const pixels = Buffer.alloc(FRAME_BYTES, 0x80);
    // Reused by the caller like the frame reader's buffer: the source must have copied what it keeps.
    for (let frame = 0; frame < 4; frame++) {
      pixels.fill(frame * 40, 0, WIDTH * HEIGHT);
      source.pushFrame(header(frame), pixels);
    }
    expect(source.stats).toMatchObject({ framesIn: 4, framesDropped: 2 });
    await expect.poll(() => source.stats.framesEncoded, { timeout: 10_000 }).toBe(2);
    expect(source.stats.packetsSent).toBeGreaterThan(0);

    source.pushFrame(header(4), pixels);
    await expect.poll(() => source.stats.framesEncoded, { timeout: 10_000 }).toBe(3);
    expect(source.stats.framesDropped).toBe(2);
  });
});
