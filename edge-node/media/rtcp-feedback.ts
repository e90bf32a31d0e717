/** Finds keyframe requests (PLI, RFC 4585, and FIR, RFC 5104) in a compound RTCP packet. */
const PT_PSFB = 206;
const FMT_PLI = 1;
const FMT_FIR = 4;

export function requestsKeyframe(rtcp: Buffer): boolean {
  let offset = 0;
  while (offset + 4 <= rtcp.length) {
    const first = rtcp[offset] ?? 0;
    if (first >> 6 !== 2) return false;
    const packetType = rtcp[offset + 1];
    const fmt = first & 0x1f;
    if (packetType === PT_PSFB && (fmt === FMT_PLI || fmt === FMT_FIR)) return true;
    offset += (rtcp.readUInt16BE(offset + 2) + 1) * 4;
  }
  return false;
}
