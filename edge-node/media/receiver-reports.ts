/**
 * Reads what a player's receiver reports (RTCP RR, through mediasoup's consumer stats) a few
 * times a second, for the bitrate controller. Loss is only new when the
 * cumulative count moved; otherwise the same report would be counted again, so a quiet interval
 * reads as no loss.
 */
import type { types } from 'mediasoup';
import type { ReceiverReport } from './bitrate-controller.js';

export function watchReceiverReports(consumer: types.Consumer, intervalMs: number, onReport: (report: ReceiverReport) => void): () => void {
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
        onReport({ fractionLost: moved ? outbound.fractionLost / 256 : 0 });
      })
      .catch(() => undefined)
      .finally(() => {
        polling = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
