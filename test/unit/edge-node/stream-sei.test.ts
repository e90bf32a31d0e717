/**
 * The SEI the node writes into its stream and the checker's page reads back: x264's own name,
 * repeated with every IDR from the encoder's first frame, and a per-frame encode stamp.
 */
import { describe, expect, it } from 'vitest';
import { nalType, NalType, splitAnnexB } from '../../../edge-node/media/annexb.js';
import { StreamSeiWriter } from '../../../edge-node/media/stream-sei-writer.js';
import { VideoEncoder } from '../../../edge-node/media/video-encoder.js';
import { encodeStampSei, readFrameSei, userDataSeis, X264_SEI_UUID } from '../../../protocol/stream-sei.js';

const annexB = (units: readonly Uint8Array[]): Uint8Array => Uint8Array.from(units.flatMap((unit) => [0, 0, 0, 1, ...unit]));

describe('the stream SEI', () => {
  it('round-trips the encode stamp, and unescapes emulation prevention in what it reads', () => {
    expect(readFrameSei(annexB([encodeStampSei(1_796_526_451_556.8), Uint8Array.from([0x65, 0x88, 0x84])]))).toEqual({ encoder: null, encodeStartedAt: 1_796_526_451_556.8 });
    // A user-data SEI whose payload holds 00 00 01, escaped as 00 00 03 01 on the wire.
    const payload = [...X264_SEI_UUID, ...new TextEncoder().encode('x264 - core 1'), 0, 0, 1];
    const escaped = Uint8Array.from([6, 5, payload.length, ...X264_SEI_UUID, ...new TextEncoder().encode('x264 - core 1'), 0, 0, 3, 1, 0x80]);
    const [sei] = userDataSeis(escaped);
    expect(Array.from(sei!.data.subarray(-3))).toEqual([0, 0, 1]);
  });

  it('stops at the first slice: a stamp hidden after the picture data is not read', () => {
    expect(readFrameSei(annexB([Uint8Array.from([0x41, 0x9a, 0x02]), encodeStampSei(5)])).encodeStartedAt).toBeNull();
  });

  it("repeats x264's name from its first frame with every later IDR, and stamps every frame before its slices", async () => {
    const encoder = new VideoEncoder({ width: 320, height: 240, fps: 60 });
    const writer = new StreamSeiWriter();
    const frame = Buffer.alloc(encoder.frameBytes, 0x80);
    try {
      const read: { keyframe: boolean; encoder: string | null; stamp: number | null; seiBeforeSlices: boolean }[] = [];
      for (let i = 0; i < 4; i++) {
        const encoded = (await encoder.encode(frame, i * 16.7, { keyframe: i === 2 }))!;
        const units = writer.annotate(splitAnnexB(encoded.data), encoded.keyframe, 1000 + i);
        const firstSlice = units.findIndex((unit) => [NalType.IdrSlice, NalType.NonIdrSlice].includes(nalType(unit) as 1 | 5));
        const sei = readFrameSei(annexB(units));
        read.push({ keyframe: encoded.keyframe, encoder: sei.encoder, stamp: sei.encodeStartedAt, seiBeforeSlices: units.slice(firstSlice).every((unit) => nalType(unit) !== NalType.Sei) });
      }
      expect(read.map((r) => r.keyframe)).toEqual([true, false, true, false]);
      expect(read.map((r) => r.stamp)).toEqual([1000, 1001, 1002, 1003]);
      expect(read.every((r) => r.seiBeforeSlices)).toBe(true);
      // The first IDR carries x264's own SEI; the later one carries the node's copy; P frames none.
      expect(read[0]!.encoder).toMatch(/^x264 - core \d+/);
      expect(read[2]!.encoder).toBe(read[0]!.encoder);
      expect([read[1]!.encoder, read[3]!.encoder]).toEqual([null, null]);
    } finally {
      encoder.close();
    }
  });
});
