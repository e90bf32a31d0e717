/**
 * Reads what a player's receiver reports (RTCP RR and NACK, through mediasoup's consumer stats) a
 * few times a second, for the bitrate controller.
 *
 * The round trip mediasoup computes from the same reports goes along with it: a queue growing on
 * the link shows there before it overflows.
 *
 * Two measures of loss, whichever is higher:
 * - the receiver report's fraction lost, only when the cumulative count moved (otherwise the same
 *   report would be counted again, so a quiet interval reads as no loss). Receivers send a report
 *   about once a second, so it speaks late;
 * - the share of the packets sent over the last second that the receiver asked to have resent
 *   (NACK). A NACK leaves the receiver a round trip after the gap it saw, so when a queue overflows
 *   this shows it within a poll or two, while the report is still on its way: the bitrate is cut
 *   before the retransmissions pile up behind the overflow and freeze the picture. A second of
 *   packets is enough for random loss at a percent or so not to read as a burst.
 */
import type { types } from 'mediasoup';
import type { ReceiverReport } from './bitrate-controller.js';
import { pollStats } from './stats-poller.js';

export interface SendStreamCounters {
  packetsLost: number;
  /** RTCP's fraction lost, in 1/256ths. */
  fractionLost: number;
  nackPacketCount: number;
  packetCount: number;
  /** Round trip in ms, from the receiver's latest report; absent or 0 until one came. */
  roundTripTime?: number;
}

/** Fewer packets than this in the NACK window say nothing about the link. */
const MIN_WINDOW_PACKETS = 50;

export class LossMeter {
  private lastPacketsLost: number | undefined;
  private readonly window: Array<{ nacked: number; sent: number }> = [];

  /** `windowPolls`: how many polls the NACK share spans (with 250 ms polls, 4 is a second). */
  constructor(private readonly windowPolls: number) {}

  update(counters: SendStreamCounters): ReceiverReport {
    const moved = this.lastPacketsLost !== undefined && counters.packetsLost > this.lastPacketsLost;
    this.lastPacketsLost = counters.packetsLost;
    const reported = moved ? counters.fractionLost / 256 : 0;
    this.window.push({ nacked: counters.nackPacketCount, sent: counters.packetCount });
    if (this.window.length > this.windowPolls + 1) this.window.shift();
    const oldest = this.window[0]!;
    const sent = counters.packetCount - oldest.sent;
    const nacked = sent >= MIN_WINDOW_PACKETS ? Math.min(1, (counters.nackPacketCount - oldest.nacked) / sent) : 0;
    const roundTrip = counters.roundTripTime;
    return { fractionLost: Math.max(reported, nacked), ...(roundTrip !== undefined && roundTrip > 0 ? { roundTripMs: roundTrip } : {}) };
  }
}

export function watchReceiverReports(consumer: types.Consumer, intervalMs: number, onReport: (report: ReceiverReport) => void): () => void {
  const meter = new LossMeter(Math.max(1, Math.round(1000 / intervalMs)));
  return pollStats(intervalMs, () => consumer.closed, async () => {
    const outbound = (await consumer.getStats()).find((entry) => entry.type === 'outbound-rtp');
    if (outbound && !consumer.closed) onReport(meter.update(outbound));
  });
}
