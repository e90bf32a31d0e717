/**
 * Puts the node's SEI messages into each encoded frame (protocol/stream-sei.ts): the stamp of
 * when the frame went into the encoder, and, with every IDR, the encoder's own name where it gave
 * one. x264 names itself only in its first frame, which no player receives (a page starts from
 * the keyframe it asks for), so the name is kept from that frame and repeated: what a stream says
 * about its encoder is then there for any player, and for a checker, to read.
 */
import { encodeStampSei, userDataSeis, X264_SEI_UUID } from '../../protocol/stream-sei.js';
import { nalType, NalType } from './annexb.js';

export class StreamSeiWriter {
  #encoderName: Buffer | undefined;

  /** NAL units of one frame with the node's SEI put before its first slice. */
  annotate(units: readonly Buffer[], keyframe: boolean, encodeStartedAt: number): Buffer[] {
    const names = units.filter((unit) => userDataSeis(unit).some(({ uuid }) => Buffer.from(uuid).equals(X264_SEI_UUID)));
    this.#encoderName ??= names[0];
    const added: Buffer[] = [];
    if (keyframe && names.length === 0 && this.#encoderName !== undefined) added.push(this.#encoderName);
    added.push(Buffer.from(encodeStampSei(encodeStartedAt)));
    const firstSlice = units.findIndex((unit) => nalType(unit) === NalType.IdrSlice || nalType(unit) === NalType.NonIdrSlice);
    const at = firstSlice < 0 ? units.length : firstSlice;
    return [...units.slice(0, at), ...added, ...units.slice(at)];
  }
}
