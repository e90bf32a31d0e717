/**
 * RTP packetization of H.264 (RFC 6184, packetization-mode 1): a NAL unit that fits goes in one
 * packet, a larger one is split into FU-A fragments. Every packet carries the playout-delay
 * header extension when an id is given: min = max = 0 tells the browser to render each frame as
 * soon as it is decoded instead of smoothing through its jitter buffer.
 */
import { RTP_HEADER_BYTES, rtpHeader } from './rtp-header.js';

const FU_A = 28;
const FU_HEADER_BYTES = 2;
/** One-byte header-extension profile (RFC 8285) holding one 3-byte element, padded to 4 bytes. */
const PLAYOUT_DELAY_EXTENSION_BYTES = 4 + 4;

export interface PacketizerOptions {
  ssrc: number;
  payloadType: number;
  /** Largest RTP packet in bytes, header included; keeps packets under the path MTU after SRTP. */
  maxPacketBytes?: number;
  /** RTP header-extension id negotiated for playout-delay, or undefined to send none. */
  playoutDelayExtensionId?: number;
  /** Playout delay to ask for, in milliseconds (10 ms granularity on the wire). */
  playoutDelayMs?: { min: number; max: number };
}

export class H264Packetizer {
  private sequenceNumber: number;
  private readonly maxPacketBytes: number;
  private readonly extension: Buffer | null;

  constructor(private readonly options: PacketizerOptions) {
    this.sequenceNumber = Math.floor(Math.random() * 0xffff);
    this.maxPacketBytes = options.maxPacketBytes ?? 1200;
    this.extension = options.playoutDelayExtensionId === undefined ? null : playoutDelayExtension(options);
  }

  /** Packets for one access unit (all NAL units of one frame); the last one has the marker bit. */
  packetize(nalUnits: readonly Buffer[], rtpTimestamp: number): Buffer[] {
    const packets: Buffer[] = [];
    const maxPayload = this.maxPacketBytes - RTP_HEADER_BYTES - (this.extension?.length ?? 0);
    nalUnits.forEach((nal, index) => {
      const lastNal = index === nalUnits.length - 1;
      if (nal.length <= maxPayload) {
        packets.push(this.packet([nal], rtpTimestamp, lastNal));
        return;
      }
      const nalHeader = nal[0] ?? 0;
      const indicator = (nalHeader & 0xe0) | FU_A;
      const type = nalHeader & 0x1f;
      const chunk = maxPayload - FU_HEADER_BYTES;
      for (let offset = 1; offset < nal.length; offset += chunk) {
        const end = Math.min(offset + chunk, nal.length);
        const start = offset === 1;
        const last = end === nal.length;
        const fuHeader = Buffer.of(indicator, (start ? 0x80 : 0) | (last ? 0x40 : 0) | type);
        packets.push(this.packet([fuHeader, nal.subarray(offset, end)], rtpTimestamp, lastNal && last));
      }
    });
    return packets;
  }

  private packet(parts: Buffer[], timestamp: number, marker: boolean): Buffer {
    const { payloadType, ssrc } = this.options;
    const header = rtpHeader({ payloadType, sequenceNumber: this.sequenceNumber, timestamp, ssrc, marker, extension: this.extension !== null });
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    return Buffer.concat(this.extension ? [header, this.extension, ...parts] : [header, ...parts]);
  }
}

function playoutDelayExtension(options: PacketizerOptions): Buffer {
  const id = options.playoutDelayExtensionId ?? 0;
  if (id < 1 || id > 14) throw new RangeError(`one-byte header extension ids are 1..14, got ${id}`);
  const min = Math.round((options.playoutDelayMs?.min ?? 0) / 10) & 0xfff;
  const max = Math.round((options.playoutDelayMs?.max ?? 0) / 10) & 0xfff;
  const ext = Buffer.alloc(PLAYOUT_DELAY_EXTENSION_BYTES);
  ext.writeUInt16BE(0xbede, 0);
  ext.writeUInt16BE(1, 2);
  ext[4] = (id << 4) | (3 - 1);
  ext[5] = min >> 4;
  ext[6] = ((min & 0xf) << 4) | (max >> 8);
  ext[7] = max & 0xff;
  return ext;
}
