/** Small charts as SVG geometry: bars for per-session values, a line for a running total. */
export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  value: number;
}

/** One bar per value (nulls leave a gap), scaled so the largest fills `height`. */
export function bars(values: readonly (number | null)[], width: number, height: number, gap = 2): Bar[] {
  const max = Math.max(1e-9, ...values.map((v) => v ?? 0));
  const slot = values.length === 0 ? 0 : width / values.length;
  return values.flatMap((value, i) => {
    if (value === null) return [];
    const h = (value / max) * height;
    return [{ x: i * slot + gap / 2, y: height - h, width: Math.max(1, slot - gap), height: h, value }];
  });
}

/** The points attribute of a polyline through the running total of `values`, from 0. */
export function cumulativeLine(values: readonly number[], width: number, height: number): string {
  let total = 0;
  const totals = [0, ...values.map((v) => (total += v))];
  const max = Math.max(1e-9, total);
  const step = totals.length > 1 ? width / (totals.length - 1) : 0;
  return totals.map((t, i) => `${Math.round(i * step * 10) / 10},${Math.round((height - (t / max) * height) * 10) / 10}`).join(' ');
}
