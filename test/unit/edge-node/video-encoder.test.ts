import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NalType, nalType, splitAnnexB } from '../../../edge-node/media/annexb.js';
import { EncoderError, VideoEncoder, type VideoEncoderOptions } from '../../../edge-node/media/video-encoder.js';
import { mulberry32 } from '../../../edge-node/demo-game/rng.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const W = 320;
const H = 240;


/** A textured picture that scrolls, with fresh grain every frame: hard to compress, like a game. */
function movingFrames(width: number, height: number): (i: number) => Buffer {
  const rnd = mulberry32(42);
  const texW = width * 2;
  const texture = new Uint8Array(texW * height);
  for (let k = 0; k < texture.length; k++) texture[k] = Math.floor(rnd() * 256);
  return (i) => {
    const frame = Buffer.alloc((width * height * 3) / 2, 128);
    const shift = (i * 3) % width;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = (texture[y * texW + x + shift] ?? 0) + Math.floor(rnd() * 32) - 16;
        frame[y * width + x] = Math.max(0, Math.min(255, v));
      }
    }
    for (let k = width * height; k < frame.length; k++) frame[k] = 96 + Math.floor(rnd() * 64);
    return frame;
  };
}

const encoders: VideoEncoder[] = [];
function makeEncoder(options: Partial<VideoEncoderOptions> = {}): VideoEncoder {
  const enc = new VideoEncoder({ width: W, height: H, fps: 60, bitrateKbps: 1000, keyintMax: 600, ...options });
  encoders.push(enc);
  return enc;
}

async function encodeOrFail(enc: VideoEncoder, frame: Buffer, pts: number, keyframe = false) {
  const out = await enc.encode(frame, pts, { keyframe });
  if (!out) throw new Error(`frame ${pts} produced no output`);
  return out;
}

beforeAll(() => {
  // Instant when the addon is already up to date.
  execFileSync('bash', ['infra/build-encoder.sh'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
});

afterEach(() => {
  for (const enc of encoders.splice(0)) enc.close();
});

describe('VideoEncoder (libx264, real encoder)', () => {
  it('emits constrained baseline SPS at the level the stream needs (42 e0/c0, 3.1 at 720p30, 3.2 at 720p60)', async () => {
    const levelOf = async (fps: number): Promise<number> => {
      const enc = makeEncoder({ width: 1280, height: 720, fps, bitrateKbps: 4000 });
      const out = await encodeOrFail(enc, movingFrames(1280, 720)(0), 0);
      const sps = splitAnnexB(out.data).find((n) => nalType(n) === NalType.Sps);
      expect(sps).toBeDefined();
      const [profileIdc, constraints, levelIdc] = [sps![1]!, sps![2]!, sps![3]!];
      expect(profileIdc).toBe(0x42); // baseline
      expect(constraints & 0x40).toBe(0x40); // constraint_set1: constrained baseline
      expect(constraints & 0xc0).toBe(0xc0);
      return levelIdc;
    };
    expect(await levelOf(30)).toBe(31);
    expect(await levelOf(60)).toBe(32);
    const out = await encodeOrFail(makeEncoder(), movingFrames(W, H)(0), 0);
    // Baseline allows CAVLC only. PPS starts with ue(pps_id=0) ue(sps_id=0), i.e. bits 1 1,
    // then entropy_coding_mode_flag, which must be 0.
    const pps = splitAnnexB(out.data).find((n) => nalType(n) === NalType.Pps);
    expect(pps).toBeDefined();
    expect(pps![1]! & 0xe0).toBe(0xc0);
  });

  it('first frame is an IDR, later ones are not, and a forced keyframe is an IDR with SPS/PPS first', async () => {
    const enc = makeEncoder();
    const frames = movingFrames(W, H);
    const types: number[][] = [];
    const keyframes: boolean[] = [];
    for (let i = 0; i < 12; i++) {
      const out = await encodeOrFail(enc, frames(i), i * 16.7, i === 8);
      types.push(splitAnnexB(out.data).map(nalType));
      keyframes.push(out.keyframe);
    }
    expect(types[0]).toContain(NalType.IdrSlice);
    for (const i of [1, 2, 3, 4, 5, 6, 7, 9, 10, 11]) {
      expect(types[i], `frame ${i}`).not.toContain(NalType.IdrSlice);
      expect(types[i], `frame ${i}`).not.toContain(NalType.Sps);
      expect(keyframes[i], `frame ${i}`).toBe(false);
    }
    const forced = types[8]!;
    expect(keyframes[8]).toBe(true);
    expect(forced).toContain(NalType.IdrSlice);
    const firstIdr = forced.indexOf(NalType.IdrSlice);
    expect(forced.indexOf(NalType.Sps)).toBeGreaterThanOrEqual(0);
    expect(forced.indexOf(NalType.Sps)).toBeLessThan(firstIdr);
    expect(forced.indexOf(NalType.Pps)).toBeGreaterThan(forced.indexOf(NalType.Sps));
    expect(forced.indexOf(NalType.Pps)).toBeLessThan(firstIdr);
  });

  it('requestKeyframe makes exactly the next frame an IDR (PLI answer), coalescing repeats', async () => {
    const enc = makeEncoder();
    const frames = movingFrames(W, H);
    await encodeOrFail(enc, frames(0), 0);
    await encodeOrFail(enc, frames(1), 1);
    enc.requestKeyframe();
    enc.requestKeyframe();
    expect(enc.keyframePending).toBe(true);
    const idr = await encodeOrFail(enc, frames(2), 2);
    expect(idr.keyframe).toBe(true);
    expect(splitAnnexB(idr.data).map(nalType)).toContain(NalType.IdrSlice);
    expect(enc.keyframePending).toBe(false);
    const after = await encodeOrFail(enc, frames(3), 3);
    expect(after.keyframe).toBe(false);
  });

  it('returns the caller pts with each frame', async () => {
    const enc = makeEncoder();
    const frames = movingFrames(W, H);
    const pts = [1000.5, 1016.7, 1033.4, 5000];
    for (const [i, p] of pts.entries()) {
      expect((await encodeOrFail(enc, frames(i), p)).ptsMs).toBe(p);
    }
  });

  for (const whileBusy of [false, true]) {
    it(`setBitrate ${whileBusy ? 'during an encode ' : ''}lowers the size of later frames without a keyframe`, async () => {
      const enc = makeEncoder({ bitrateKbps: 4000, minBitrateKbps: 100, maxBitrateKbps: 8000 });
      const frames = movingFrames(W, H);
      const sizes: number[] = [];
      const keyframes: boolean[] = [];
      for (let i = 0; i < 80; i++) {
        const pending = enc.encode(frames(i), i);
        // While busy the native side defers the reconfig to the next encode, on the worker thread.
        if (i === (whileBusy ? 40 : 39)) expect(enc.setBitrate(400)).toBe(400);
        const out = await pending;
        if (!out) throw new Error(`frame ${i} produced no output`);
        sizes.push(out.data.length);
        keyframes.push(out.keyframe);
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      // Skip the first frames after each change: rate control needs a few frames to settle.
      const high = mean(sizes.slice(20, 40));
      const low = mean(sizes.slice(60, 80));
      expect(low).toBeLessThan(high * 0.5);
      expect(keyframes.slice(1)).not.toContain(true);
    });
  }

  it('clamps setBitrate to the configured bounds', () => {
    const enc = makeEncoder({ bitrateKbps: 1000, minBitrateKbps: 300, maxBitrateKbps: 2000 });
    expect(enc.setBitrate(50)).toBe(300);
    expect(enc.bitrateKbps).toBe(300);
    expect(enc.setBitrate(1e6)).toBe(2000);
    expect(enc.setBitrate(1234.4)).toBe(1234);
    expect(() => enc.setBitrate(Number.NaN)).toThrow(EncoderError);
  });

  it('rejects a wrong-size frame with EncoderError', async () => {
    const enc = makeEncoder();
    const err = await enc.encode(Buffer.alloc(100), 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EncoderError);
    expect((err as EncoderError).code).toBe('FRAME');
    // The encoder is still usable afterwards.
    expect(enc.busy).toBe(false);
    expect(await enc.encode(movingFrames(W, H)(0), 0)).not.toBeNull();
  });

  it('is busy while an encode is in flight and rejects a second encode instead of queueing', async () => {
    const enc = makeEncoder();
    const frames = movingFrames(W, H);
    expect(enc.busy).toBe(false);
    const first = enc.encode(frames(0), 0);
    expect(enc.busy).toBe(true);
    const second = await enc.encode(frames(1), 1).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(EncoderError);
    expect((second as EncoderError).code).toBe('BUSY');
    const out = await first;
    expect(out?.ptsMs).toBe(0);
    expect(enc.busy).toBe(false);
    expect((await enc.encode(frames(1), 1))?.ptsMs).toBe(1);
  });

  it('rejects encode after close, and close is idempotent', async () => {
    const enc = makeEncoder();
    await encodeOrFail(enc, movingFrames(W, H)(0), 0);
    enc.close();
    enc.close();
    const err = await enc.encode(movingFrames(W, H)(1), 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EncoderError);
    expect((err as EncoderError).code).toBe('CLOSED');
    // Late bandwidth estimates during teardown are ignored rather than thrown.
    expect(enc.setBitrate(500)).toBe(enc.bitrateKbps);
  });

  it('lets an encode in flight settle when closed meanwhile', async () => {
    const enc = makeEncoder();
    const pending = enc.encode(movingFrames(W, H)(0), 7);
    enc.close();
    expect((await pending)?.ptsMs).toBe(7);
  });

  it('rejects bad options with EncoderError', () => {
    expect(() => new VideoEncoder({ width: 321, height: 240 })).toThrow(EncoderError);
    expect(() => new VideoEncoder({ width: W, height: H, preset: 'nope' as 'ultrafast' })).toThrow(EncoderError);
    expect(() => new VideoEncoder({ width: W, height: H, minBitrateKbps: 500, maxBitrateKbps: 100 })).toThrow(
      EncoderError,
    );
  });

  it('without a tune (benchmark baseline) may hold frames back, and still maps pts correctly', async () => {
    const enc = makeEncoder({ preset: 'veryfast', tune: '' });
    const frames = movingFrames(W, H);
    const got: number[] = [];
    for (let i = 0; i < 30; i++) {
      const out = await enc.encode(frames(i), 100 + i);
      if (out) got.push(out.ptsMs);
    }
    expect(got.length).toBeGreaterThan(0);
    // Frames come out in order, each with the pts it went in with.
    expect(got).toEqual(got.map((_, k) => 100 + k));
  });
});
