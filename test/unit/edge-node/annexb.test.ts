import { describe, expect, it } from 'vitest';
import { NalType, nalType, splitAnnexB } from '../../../edge-node/media/annexb.js';

const hex = (bufs: Buffer[]) => bufs.map((b) => b.toString('hex'));

describe('splitAnnexB', () => {
  it('splits on 4-byte and 3-byte start codes and strips them', () => {
    const buf = Buffer.from('00000001674201' + '0000016801' + '00000165aabb', 'hex');
    expect(hex(splitAnnexB(buf))).toEqual(['674201', '6801', '65aabb']);
  });

  it('returns views into the input, not copies', () => {
    const buf = Buffer.from('000001650102', 'hex');
    const [nal] = splitAnnexB(buf);
    expect(nal?.buffer).toBe(buf.buffer);
    expect(nal?.byteOffset).toBe(buf.byteOffset + 3);
  });

  it('drops trailing zero bytes and empty units', () => {
    const buf = Buffer.from('00000001' + '6701' + '0000' + '00000001' + '00000001' + '6801' + '000000', 'hex');
    expect(hex(splitAnnexB(buf))).toEqual(['6701', '6801']);
  });

  it('keeps emulation-prevented payload intact', () => {
    // 00 00 03 inside a NAL is not a start code.
    const buf = Buffer.from('00000001' + '6500000301' + '00000001' + '4101', 'hex');
    expect(hex(splitAnnexB(buf))).toEqual(['6500000301', '4101']);
  });

  it('ignores bytes before the first start code', () => {
    expect(hex(splitAnnexB(Buffer.from('ffee000001' + '0601', 'hex')))).toEqual(['0601']);
  });

  it('returns nothing for input without a start code', () => {
    expect(splitAnnexB(Buffer.alloc(0))).toEqual([]);
    expect(splitAnnexB(Buffer.from('6742', 'hex'))).toEqual([]);
    expect(splitAnnexB(Buffer.from('000001', 'hex'))).toEqual([]);
  });

  it('accepts a plain Uint8Array', () => {
    const u8 = new Uint8Array([9, 9, 0, 0, 1, 0x65, 1, 0, 0, 1, 0x41, 2]).subarray(2);
    expect(hex(splitAnnexB(u8))).toEqual(['6501', '4102']);
  });
});

describe('nalType', () => {
  it('reads the low five bits of the header byte', () => {
    expect(nalType(Buffer.from([0x67]))).toBe(NalType.Sps);
    expect(nalType(Buffer.from([0x68]))).toBe(NalType.Pps);
    expect(nalType(Buffer.from([0x65]))).toBe(NalType.IdrSlice);
    expect(nalType(Buffer.from([0x41]))).toBe(NalType.NonIdrSlice);
    expect(nalType(Buffer.from([0x06]))).toBe(NalType.Sei);
  });
});
