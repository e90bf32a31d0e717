/**
 * Reads the congestion controller's estimate for a player's receive transport (GoogCC over the
 * browser's transport-cc feedback) a few times a second, for the bitrate controller.
 *
 * Polled rather than taken from mediasoup's `bwe` trace event: that event comes once a second
 * unless the estimate falls by a quarter at once, and GoogCC's answer to a growing queue is often a
 * smaller fall. Seen a second late, the queue has overflowed before the encoder hears of it.
 */
import type { types } from 'mediasoup';
import { pollStats } from './stats-poller.js';

export function watchAvailableBitrate(transport: types.WebRtcTransport, intervalMs: number, onEstimate: (bitsPerSecond: number) => void): () => void {
  return pollStats(intervalMs, () => transport.closed, async () => {
    const available = (await transport.getStats())[0]?.availableOutgoingBitrate;
    if (typeof available === 'number' && available > 0 && !transport.closed) onEstimate(available);
  });
}
