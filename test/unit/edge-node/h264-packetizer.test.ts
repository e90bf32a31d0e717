import { describe, expect, it } from 'vitest';
import { H264Packetizer } from '../../../edge-node/media/h264-packetizer.js';

const nal = (type: number, length: number): Buffer => {
  const b = Buffer.alloc(length, 0xab);
  b[0] = 0x60 | type;
  return b;
};

describe('H264Packetizer', () => {
  it('puts a small NAL unit in one packet with the marker on the last packet of the frame', () => {
    const p = new H264Packetizer({ ssrc: 1234, payloadType: 102 });
    const packets = p.packetize([nal(7, 20), nal(8, 6), nal(5, 300)], 90000);
    expect(packets).toHaveLength(3);
    expect(packets.map((pkt) => (pkt[1]! & 0x80) !== 0)).toEqual([false, false, true]);
    expect(packets[0]!.readUInt32BE(4)).toBe(90000);
    expect(packets[0]!.readUInt32BE(8)).toBe(1234);
    expect(packets[0]![1]! & 0x7f).toBe(102);
    expect(packets[2]!.subarray(12)).toEqual(nal(5, 300));
    const seqs = packets.map((pkt) => pkt.readUInt16BE(2));
    expect(seqs[1]).toBe((seqs[0]! + 1) & 0xffff);
  });

  it('fragments a large NAL unit as FU-A and reassembles to the same bytes', () => {
    const p = new H264Packetizer({ ssrc: 1, payloadType: 102, maxPacketBytes: 500 });
    const big = nal(5, 5000);
    big.forEach((_, i) => i > 0 && (big[i] = i & 0xff));
    const packets = p.packetize([big], 0);
    expect(packets.length).toBeGreaterThan(10);
    expect(packets.every((pkt) => pkt.length <= 500)).toBe(true);
    const first = packets[0]!;
    expect(first[12]! & 0x1f).toBe(28);
    expect(first[13]! & 0x80).toBe(0x80);
    expect(packets.at(-1)![13]! & 0x40).toBe(0x40);
    expect(packets.at(-1)![1]! & 0x80).toBe(0x80);
    const rebuilt = Buffer.concat([Buffer.of((first[12]! & 0xe0) | (first[13]! & 0x1f)), ...packets.map((pkt) => pkt.subarray(14))]);
    expect(rebuilt).toEqual(big);
  });

  it('writes the playout-delay extension (one-byte profile) with min = max = 0 on every packet', () => {
    const p = new H264Packetizer({ ssrc: 1, payloadType: 102, playoutDelayExtensionId: 14, maxPacketBytes: 400 });
    const packets = p.packetize([nal(1, 1000)], 0);
    for (const pkt of packets) {
      expect(pkt[0]! & 0x10).toBe(0x10);
      expect(pkt.readUInt16BE(12)).toBe(0xbede);
      expect(pkt.readUInt16BE(14)).toBe(1);
      expect(pkt[16]).toBe((14 << 4) | 2);
      expect([...pkt.subarray(17, 20)]).toEqual([0, 0, 0]);
    }
  });

  it('encodes a non-zero playout delay in 10 ms units and refuses ids a one-byte header cannot carry', () => {
    const p = new H264Packetizer({ ssrc: 1, payloadType: 102, playoutDelayExtensionId: 3, playoutDelayMs: { min: 100, max: 400 } });
    const [pkt] = p.packetize([nal(1, 10)], 0);
    const value = (pkt![17]! << 16) | (pkt![18]! << 8) | pkt![19]!;
    expect(value >> 12).toBe(10);
    expect(value & 0xfff).toBe(40);
    expect(() => new H264Packetizer({ ssrc: 1, payloadType: 102, playoutDelayExtensionId: 15 })).toThrow(RangeError);
  });
});
