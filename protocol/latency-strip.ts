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

/**
 * Reads the sequence number back from RGBA pixels of the strip's rows (`rgba` is a
 * `width`-pixel-wide image that starts at the frame's top-left corner). Returns null when the
 * guard cells are not there (the frame carries no strip, or it is not decoded yet).
 */
export function decodeStrip(rgba: Uint8ClampedArray | Uint8Array, width: number): number | null {
  const centre = STRIP_CELL >> 1;
  const luma = (cell: number): number => {
    const i = (centre * width + cell * STRIP_CELL + centre) * 4;
    return 0.299 * (rgba[i] ?? 0) + 0.587 * (rgba[i + 1] ?? 0) + 0.114 * (rgba[i + 2] ?? 0);
  };
  if (luma(0) < 160 || luma(1) > 96) return null;
  let seq = 0;
  for (let bit = 0; bit < STRIP_BITS; bit++) seq = (seq << 1) | (luma(2 + bit) > 128 ? 1 : 0);
  return seq >>> 0;
}
