/** The fixed 12-byte RTP header (RFC 3550), which every packetizer of ours writes the same way. */
export const RTP_HEADER_BYTES = 12;

export interface RtpHeaderFields {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  /** Set the X bit: a header extension follows. */
  extension: boolean;
}

export function rtpHeader(fields: RtpHeaderFields): Buffer {
  const header = Buffer.allocUnsafe(RTP_HEADER_BYTES);
  header[0] = 0x80 | (fields.extension ? 0x10 : 0);
  header[1] = (fields.marker ? 0x80 : 0) | fields.payloadType;
  header.writeUInt16BE(fields.sequenceNumber & 0xffff, 2);
  header.writeUInt32BE(fields.timestamp >>> 0, 4);
  header.writeUInt32BE(fields.ssrc >>> 0, 8);
  return header;
}
