/**
 * A machine-readable strip in the top-left corner of a frame carrying the last applied input
 * sequence number, so a page can measure input-to-frame latency on decoded video.
 * Cells are 16x16 pixels (macroblock aligned, so the encoder keeps them crisp): a white then a
 * black guard cell, then 24 bits of the sequence number, most significant first.
 */
export const STRIP_CELL = 16;
export const STRIP_BITS = 24;
export const STRIP_CELLS = 2 + STRIP_BITS;
export const STRIP_WIDTH = STRIP_CELLS * STRIP_CELL;

/** Luma value of each cell (I420 Y: 235 white, 16 black). */
export function stripCellLumas(seq: number): number[] {
  const cells = [235, 16];
  for (let bit = STRIP_BITS - 1; bit >= 0; bit--) cells.push((seq >>> bit) & 1 ? 235 : 16);
  return cells;
}

/** Chroma under the strip: neutral, so every cell decodes to pure grey whatever the frame's colours. */
const NEUTRAL_CHROMA = 128;

/**
 * Draws the strip into a whole I420 frame (`width` x `height`, planes tightly packed): the games
 * that draw it themselves (the game SDK) and the node stamping captured frames (x11) share this.
 */
export function stampStripI420(frame: Uint8Array, width: number, height: number, seq: number): void {
  const stripWidth = Math.min(STRIP_WIDTH, width);
  const rows = Math.min(STRIP_CELL, height);
  const lumas = stripCellLumas(seq);
  for (let y = 0; y < rows; y++) {
    for (let cell = 0; cell * STRIP_CELL < stripWidth; cell++) {
      const start = y * width + cell * STRIP_CELL;
      frame.fill(lumas[cell] ?? 16, start, start + Math.min(STRIP_CELL, stripWidth - cell * STRIP_CELL));
    }
  }
  const chromaWidth = width >> 1;
  const chromaPlane = chromaWidth * (height >> 1);
  for (let y = 0; y < rows >> 1; y++) {
    const u = width * height + y * chromaWidth;
    frame.fill(NEUTRAL_CHROMA, u, u + (stripWidth >> 1));
    frame.fill(NEUTRAL_CHROMA, u + chromaPlane, u + chromaPlane + (stripWidth >> 1));
  }
}

/** The luma (0-255) of the pixel at (x, y), counted from the frame's top-left corner. */
export type LumaAt = (x: number, y: number) => number;

/**
 * Reads the sequence number back from the strip's pixels. Returns null when the guard cells are
 * not there (the frame carries no strip, or it is not decoded yet).
 */
export function decodeStrip(lumaAt: LumaAt): number | null {
  const centre = STRIP_CELL >> 1;
  const cell = (index: number): number => lumaAt(index * STRIP_CELL + centre, centre);
  if (cell(0) < 160 || cell(1) > 96) return null;
  let seq = 0;
  for (let bit = 0; bit < STRIP_BITS; bit++) seq = (seq << 1) | (cell(2 + bit) > 128 ? 1 : 0);
  return seq >>> 0;
}

/** Luma of a Y plane (I420, NV12...): `stride` bytes a row, the frame's first row at `offset`. */
export function planeLuma(plane: Uint8Array | Uint8ClampedArray, stride: number, offset = 0): LumaAt {
  return (x, y) => plane[offset + y * stride + x] ?? 0;
}

/** Luma of 4-byte pixels `width` a row, red first (RGBA, a canvas read-back) or blue first (BGRA). */
export function rgbLuma(pixels: Uint8Array | Uint8ClampedArray, width: number, order: 'rgba' | 'bgra' = 'rgba'): LumaAt {
  const [red, blue] = order === 'rgba' ? [0, 2] : [2, 0];
  return (x, y) => {
    const i = (y * width + x) * 4;
    return 0.299 * (pixels[i + red] ?? 0) + 0.587 * (pixels[i + 1] ?? 0) + 0.114 * (pixels[i + blue] ?? 0);
  };
}
