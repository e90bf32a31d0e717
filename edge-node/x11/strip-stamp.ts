/**
 * Draws the latency strip (protocol/latency-strip.ts) onto a captured I420 frame, for games that
 * cannot draw it themselves: luma per cell, neutral chroma beneath so each cell decodes grey.
 */
import { STRIP_CELL, STRIP_CELLS, stripCellLumas } from '../../protocol/latency-strip.js';

const NEUTRAL_CHROMA = 128;

export function stampStrip(frame: Buffer, width: number, height: number, seq: number): void {
  const stripWidth = Math.min(STRIP_CELLS * STRIP_CELL, width);
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
