/**
 * The congestion controller's estimate, polled from a real mediasoup transport. That estimates do
 * reach the bitrate controller once a player is connected is shown end to end (bad-network.test.ts).
 */
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchAvailableBitrate } from '../../../edge-node/media/available-bitrate.js';
import { loadMediasoup } from '../../../edge-node/media/mediasoup-loader.js';
import { INITIAL_AVAILABLE_BITRATE, routerMediaCodecs, videoProducerParameters } from '../../../edge-node/media/router-config.js';

describe('available bitrate', () => {
  let worker: types.Worker;
  let router: types.Router;
  let producer: types.Producer;

  beforeAll(async () => {
    const mediasoup = await loadMediasoup();
    worker = await mediasoup.createWorker({ logLevel: 'error' });
    router = await worker.createRouter({ mediaCodecs: routerMediaCodecs });
    const direct = await router.createDirectTransport();
    producer = await direct.produce({ kind: 'video', rtpParameters: videoProducerParameters(1234, true) });
  });

  /** A player's receive transport: the congestion controller starts with its first consumer. */
  async function receiveTransport(): Promise<types.WebRtcTransport> {
    const transport = await router.createWebRtcTransport({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }], initialAvailableOutgoingBitrate: INITIAL_AVAILABLE_BITRATE });
    await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, paused: true });
    return transport;
  }
  afterAll(() => worker?.close());

  it('reports no estimate before the congestion controller has one (mediasoup reads 0 until the player connects), and polls no more once stopped or closed', async () => {
    const transport = await receiveTransport();
    const polled: number[] = [];
    const estimates: number[] = [];
    const getStats = transport.getStats.bind(transport);
    transport.getStats = async () => {
      const stats = await getStats();
      polled.push(stats[0]!.availableOutgoingBitrate ?? -1);
      return stats;
    };
    const stop = watchAvailableBitrate(transport, 20, (bitsPerSecond) => estimates.push(bitsPerSecond));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(polled.length).toBeGreaterThanOrEqual(3);
    expect(polled.every((value) => value === 0)).toBe(true);
    expect(estimates).toEqual([]);
    stop();
    const atStop = polled.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(polled.length).toBeLessThanOrEqual(atStop + 1);

    const closing = await receiveTransport();
    let closingPolls = 0;
    const closingStats = closing.getStats.bind(closing);
    closing.getStats = async () => {
      closingPolls++;
      return closingStats();
    };
    watchAvailableBitrate(closing, 20, () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    closing.close();
    const atClose = closingPolls;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(atClose).toBeGreaterThan(0);
    expect(closingPolls).toBe(atClose);
  });
});
