/**
 * What an H.264 stream says about itself in its SEI messages (user data unregistered, payload
 * type 5: a 16-byte UUID, then the writer's own bytes), read by the checker's page from the
 * encoded frames it receives:
 *
 * - x264 names itself (`x264 - core 164 r3095 ...`) under its own UUID. It writes that SEI only
 *   with its very first frame, which a player never gets (the page asks for a keyframe when it
 *   starts), so the node repeats it with every IDR.
 * - The node stamps each frame with the moment it handed the frame to its encoder (epoch ms, as
 *   decimal text, which needs no emulation prevention). The page's receive time minus that stamp
 *   minus half the round trip is the frame's encode time, taken from the stream rather than from
 *   the node's report.
 */

/** x264's UUID for its version SEI (dc45e9bd-e6d9-48b7-962c-d820d923eeef). */
export const X264_SEI_UUID = Uint8Array.from([0xdc, 0x45, 0xe9, 0xbd, 0xe6, 0xd9, 0x48, 0xb7, 0x96, 0x2c, 0xd8, 0x20, 0xd9, 0x23, 0xee, 0xef]);
/** EdgePlay's UUID for the per-frame encode stamp (6d2b8c4e-41a7-4f35-9e0c-5b7f1d3a92c6). */
export const ENCODE_STAMP_SEI_UUID = Uint8Array.from([0x6d, 0x2b, 0x8c, 0x4e, 0x41, 0xa7, 0x4f, 0x35, 0x9e, 0x0c, 0x5b, 0x7f, 0x1d, 0x3a, 0x92, 0xc6]);

const NAL_SEI = 6;
const USER_DATA_UNREGISTERED = 5;
const RBSP_STOP = 0x80;

/** One user-data-unregistered SEI message: its UUID and the writer's bytes after it. */
export interface UserDataSei {
  uuid: Uint8Array;
  data: Uint8Array;
}

/** What the SEI messages of one encoded frame told. */
export interface FrameSei {
  /** The software encoder that named itself, e.g. `x264 - core 164 r3095 baee400`; null when none did. */
  encoder: string | null;
  /** The node's encode stamp (epoch ms), null when the frame carries none. */
  encodeStartedAt: number | null;
}

/** An SEI NAL unit (without start code) carrying the node's encode stamp for one frame. */
export function encodeStampSei(encodeStartedAt: number): Uint8Array {
  const text = new TextEncoder().encode(encodeStartedAt.toFixed(3));
  const size = ENCODE_STAMP_SEI_UUID.length + text.length;
  return Uint8Array.from([NAL_SEI, USER_DATA_UNREGISTERED, size, ...ENCODE_STAMP_SEI_UUID, ...text, RBSP_STOP]);
}

/** The user-data-unregistered messages in one SEI NAL unit (header byte included, emulation prevention still in). */
export function userDataSeis(nal: Uint8Array): UserDataSei[] {
  if (((nal[0] ?? 0) & 0x1f) !== NAL_SEI) return [];
  const rbsp = unescapeRbsp(nal.subarray(1));
  const found: UserDataSei[] = [];
  let at = 0;
  while (at < rbsp.length && rbsp[at] !== RBSP_STOP) {
    const type = readSeiNumber(rbsp, at);
    const size = readSeiNumber(rbsp, type.next);
    at = size.next;
    if (at + size.value > rbsp.length) break;
    if (type.value === USER_DATA_UNREGISTERED && size.value >= 16) found.push({ uuid: rbsp.subarray(at, at + 16), data: rbsp.subarray(at + 16, at + size.value) });
    at += size.value;
  }
  return found;
}

/** An SEI payload type or size: a run of 0xff bytes adding 255 each, then the last byte. */
function readSeiNumber(bytes: Uint8Array, from: number): { value: number; next: number } {
  let value = 0;
  let at = from;
  while (bytes[at] === 0xff) {
    value += 255;
    at++;
  }
  return { value: value + (bytes[at] ?? 0), next: at + 1 };
}

/** Reads the SEI messages of one Annex-B encoded frame. */
export function readFrameSei(frame: Uint8Array): FrameSei {
  const result: FrameSei = { encoder: null, encodeStartedAt: null };
  for (const nal of unitsBeforeSlices(frame)) {
    for (const { uuid, data } of userDataSeis(nal)) {
      if (sameBytes(uuid, X264_SEI_UUID)) result.encoder = x264Name(data);
      else if (sameBytes(uuid, ENCODE_STAMP_SEI_UUID)) {
        const at = Number(new TextDecoder().decode(data));
        if (Number.isFinite(at)) result.encodeStartedAt = at;
      }
    }
  }
  return result;
}

/** `x264 - core 164 r3095 baee400`: the name and build, without the options that follow. */
function x264Name(data: Uint8Array): string {
  const text = new TextDecoder().decode(data.subarray(0, 200));
  return (/^x264 - core \d+(?: r\d+)?(?: [0-9a-f]+)?/.exec(text)?.[0] ?? text.split(' - H.264')[0] ?? 'x264').slice(0, 64);
}

/**
 * The NAL units of an Annex-B frame before its first slice (views, without start codes): SEI
 * comes before the slices, so the scan stops there instead of reading the whole picture.
 */
function unitsBeforeSlices(buf: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let start = -1;
  for (let i = 0; i + 3 < buf.length; i++) {
    if (buf[i] !== 0 || buf[i + 1] !== 0 || buf[i + 2] !== 1) continue;
    if (start >= 0) units.push(trimZeros(buf.subarray(start, i)));
    start = i + 3;
    const type = buf[start]! & 0x1f;
    if (type >= 1 && type <= 5) return units.filter((unit) => unit.length > 0);
    i += 2;
  }
  if (start >= 0) units.push(buf.subarray(start));
  return units.filter((unit) => unit.length > 0);
}

function trimZeros(unit: Uint8Array): Uint8Array {
  let end = unit.length;
  while (end > 0 && unit[end - 1] === 0) end--;
  return unit.subarray(0, end);
}

/** Drops the emulation-prevention byte of every 00 00 03. */
function unescapeRbsp(escaped: Uint8Array): Uint8Array {
  const out = new Uint8Array(escaped.length);
  let n = 0;
  let zeros = 0;
  for (const byte of escaped) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = byte;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
