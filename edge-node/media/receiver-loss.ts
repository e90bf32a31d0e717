/**
 * Reads the loss a player's receiver reports (RTCP RR, through mediasoup's consumer stats) a few
 * times a second, for the bitrate controller. A report is only new when the cumulative loss moved;
 * otherwise the same report would be counted again, so a quiet interval reads as no loss.
 */
import type { types } from 'mediasoup';

export function watchReceiverLoss(consumer: types.Consumer, intervalMs: number, onLoss: (fractionLost: number) => void): () => void {
  let lastPacketsLost: number | undefined;
  let polling = false;
  const timer = setInterval(() => {
    if (polling || consumer.closed) return;
    polling = true;
    consumer
      .getStats()
      .then((stats) => {
        const outbound = stats.find((entry) => entry.type === 'outbound-rtp');
        if (!outbound || consumer.closed) return;
        const moved = lastPacketsLost !== undefined && outbound.packetsLost > lastPacketsLost;
        lastPacketsLost = outbound.packetsLost;
        // RTCP carries the fraction in 1/256ths.
        onLoss(moved ? outbound.fractionLost / 256 : 0);
      })
      .catch(() => undefined)
      .finally(() => {
        polling = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
