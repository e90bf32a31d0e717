/**
 * The steps a stream takes down when the link cannot carry the game's own resolution and frame
 * rate at a decent quality: half the resolution first (fewer, sharper pixels beat a smeared full
 * frame), then half the frame rate. Each rung says the least bitrate it looks acceptable at.
 */
export interface Rung {
  width: number;
  height: number;
  fps: number;
  /** Below this target the stream steps down to the next rung; the last rung has 0. */
  minKbps: number;
}

/**
 * Bits per pixel at which x264 ultrafast keeps a game picture acceptable; at 720p60 this asks
 * for 1.66 Mbit/s, and a link must carry about 2.1 Mbit/s (with headroom and the step-up margin)
 * for the stream to climb back to full size.
 */
const ACCEPTABLE_BITS_PER_PIXEL = 0.03;

/** The ladder for a game's frames: full size, half size (where the size halves into whole chroma rows), then half size at half rate. */
export function videoLadder(width: number, height: number, fps: number): Rung[] {
  const needs = (w: number, h: number, f: number): number => Math.round((w * h * f * ACCEPTABLE_BITS_PER_PIXEL) / 1000);
  const halves = width % 4 === 0 && height % 4 === 0;
  const small = halves ? { width: width / 2, height: height / 2 } : { width, height };
  const rungs: Rung[] = [{ width, height, fps, minKbps: needs(width, height, fps) }];
  if (halves) rungs.push({ ...small, fps, minKbps: needs(small.width, small.height, fps) });
  rungs.push({ ...small, fps: fps / 2, minKbps: 0 });
  return rungs;
}

export function sameRung(a: Rung, b: Rung): boolean {
  return a.width === b.width && a.height === b.height && a.fps === b.fps;
}
