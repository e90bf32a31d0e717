/**
 * What a browser does to decoded video before a canvas read-back: BT.601 limited-range YUV to
 * RGB. Tests use it to check that the latency strip survives the colour conversion.
 */
export function i420RowsToRgba(i420: Buffer, width: number, height: number, rows: number): Uint8ClampedArray {
  const chromaWidth = width >> 1;
  const uOffset = width * height;
  const vOffset = uOffset + chromaWidth * (height >> 1);
  const rgba = new Uint8ClampedArray(width * rows * 4);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < width; x++) {
      const c = Math.min(chromaWidth - 1, x >> 1) + (y >> 1) * chromaWidth;
      const luma = 1.164 * ((i420[y * width + x] ?? 0) - 16);
      const u = (i420[uOffset + c] ?? 128) - 128;
      const v = (i420[vOffset + c] ?? 128) - 128;
      const i = (y * width + x) * 4;
      rgba[i] = luma + 1.596 * v;
      rgba[i + 1] = luma - 0.392 * u - 0.813 * v;
      rgba[i + 2] = luma + 2.017 * u;
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}
