/**
 * H.264 Annex-B byte stream helpers.
 *
 * The encoder emits Annex-B (NAL units separated by 00 00 01 / 00 00 00 01 start codes);
 * RTP packetization (RFC 6184, packetization-mode 1) wants bare NAL units instead.
 */

const START_CODE = Buffer.from([0, 0, 1]);

/**
 * Splits an Annex-B buffer into NAL units without their start codes.
 *
 * The returned buffers are views into `buf` (no copy, this runs for every frame), so they
 * are only valid as long as `buf` is not reused. Bytes before the first start code are
 * ignored, and so are empty units. Trailing zero bytes of a unit are dropped: they are the
 * leading zero of a 4-byte start code or trailing_zero_8bits, never NAL payload, since a NAL
 * unit always ends in its non-zero rbsp stop bit byte.
 */
export function splitAnnexB(buf: Uint8Array): Buffer[] {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const units: Buffer[] = [];
  let start = b.indexOf(START_CODE);
  if (start < 0) return units;
  start += START_CODE.length;
  while (start <= b.length) {
    const next = b.indexOf(START_CODE, start);
    let end = next < 0 ? b.length : next;
    while (end > start && b[end - 1] === 0) end--;
    if (end > start) units.push(b.subarray(start, end));
    if (next < 0) break;
    start = next + START_CODE.length;
  }
  return units;
}

/** nal_unit_type, the low 5 bits of the first NAL header byte (5 = IDR slice, 7 = SPS, 8 = PPS). */
export function nalType(nal: Uint8Array): number {
  return (nal[0] ?? 0) & 0x1f;
}

export const NalType = {
  NonIdrSlice: 1,
  IdrSlice: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  Aud: 9,
} as const;
