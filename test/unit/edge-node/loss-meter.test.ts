/** Loss as the bitrate controller hears it: the receiver's reports, and the packets it asked to have resent. */
import { describe, expect, it } from 'vitest';
import { LossMeter, type SendStreamCounters } from '../../../edge-node/media/receiver-reports.js';

/** Four polls a second, 100 packets a poll; `nacked` and `lost` are cumulative. */
function counters(poll: number, nacked: number, lost = 0, fractionLost = 0): SendStreamCounters {
  return { packetCount: poll * 100, nackPacketCount: nacked, packetsLost: lost, fractionLost };
}

describe('loss meter', () => {
  it('takes a receiver report only when its cumulative count moved', () => {
    const meter = new LossMeter(4);
    expect(meter.update(counters(1, 0, 10, 26)).fractionLost).toBe(0);
    expect(meter.update(counters(2, 0, 20, 26)).fractionLost).toBeCloseTo(26 / 256);
    // The same report read again: nothing new.
    expect(meter.update(counters(3, 0, 20, 26)).fractionLost).toBe(0);
  });

  it('reads a queue overflow from the NACKs within a poll, before any receiver report says so', () => {
    const meter = new LossMeter(4);
    for (let poll = 1; poll <= 4; poll++) meter.update(counters(poll, 0));
    // 20 of the next 100 packets asked for again: 5% of the second's 400.
    expect(meter.update(counters(5, 20)).fractionLost).toBeCloseTo(0.05);
  });

  it('does not read random loss of about a percent as a burst', () => {
    const meter = new LossMeter(4);
    let nacked = 0;
    let worst = 0;
    for (let poll = 1; poll <= 40; poll++) {
      // One packet in a hundred, bunched: three in one poll now and then.
      nacked += poll % 3 === 0 ? 3 : 0;
      worst = Math.max(worst, meter.update(counters(poll, nacked)).fractionLost);
    }
    expect(worst).toBeLessThanOrEqual(0.03);
  });

  it('says nothing from a window with too few packets to judge', () => {
    const meter = new LossMeter(4);
    meter.update({ packetCount: 0, nackPacketCount: 0, packetsLost: 0, fractionLost: 0 });
    expect(meter.update({ packetCount: 20, nackPacketCount: 5, packetsLost: 0, fractionLost: 0 }).fractionLost).toBe(0);
  });

  it('passes the round trip along once the receiver has reported one', () => {
    const meter = new LossMeter(4);
    expect(meter.update({ ...counters(1, 0), roundTripTime: 0 })).toEqual({ fractionLost: 0 });
    expect(meter.update({ ...counters(2, 0), roundTripTime: 21.5 })).toEqual({ fractionLost: 0, roundTripMs: 21.5 });
  });
});
