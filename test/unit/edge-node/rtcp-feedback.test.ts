import { describe, expect, it } from 'vitest';
import { requestsKeyframe } from '../../../edge-node/media/rtcp-feedback.js';

const receiverReport = (): Buffer => {
  const b = Buffer.alloc(8);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  return b;
};
const feedback = (pt: number, fmt: number): Buffer => {
  const b = Buffer.alloc(12);
  b[0] = 0x80 | fmt;
  b[1] = pt;
  b.writeUInt16BE(2, 2);
  return b;
};

describe('requestsKeyframe', () => {
  it('finds a PLI or a FIR anywhere in a compound packet', () => {
    expect(requestsKeyframe(Buffer.concat([receiverReport(), feedback(206, 1)]))).toBe(true);
    expect(requestsKeyframe(Buffer.concat([receiverReport(), feedback(206, 4)]))).toBe(true);
  });

  it('ignores NACKs, REMB and reports, and survives garbage', () => {
    expect(requestsKeyframe(Buffer.concat([receiverReport(), feedback(205, 1), feedback(206, 15)]))).toBe(false);
    expect(requestsKeyframe(Buffer.from([0xff, 0xff, 0xff]))).toBe(false);
    expect(requestsKeyframe(Buffer.alloc(0))).toBe(false);
  });
});
