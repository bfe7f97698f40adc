import { lowerBound, upperBound } from '../src/sorted-search.js';

/**
 * Screen-resolution views of long series. The stored points are never changed: each draw
 * buckets the visible x range into pixel columns and keeps, per column, the first-drawn
 * and last-drawn of its minimum and maximum, so every spike stays on screen.
 */

/** Two slots per bucket, at a quarter and three quarters of its width. */
export function slotGrid(x0: number, x1: number, buckets: number): Float64Array {
  const dx = (x1 - x0) / buckets;
  const xs = new Float64Array(buckets * 2);
  for (let k = 0; k < buckets; k++) {
    xs[2 * k] = x0 + (k + 0.25) * dx;
    xs[2 * k + 1] = x0 + (k + 0.75) * dx;
  }
  return xs;
}

/**
 * The min and max of each bucket of [x0, x1] (a point at x1 joins the last bucket), written in x order into slots 2k and 2k+1 of
 * `out` (length 2 * buckets; a bucket with one point fills slot 2k only). Non-finite y are
 * skipped. `x` must be ascending.
 */
export function minMaxBuckets(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  x0: number,
  x1: number,
  buckets: number,
  out: (number | null)[],
): void {
  out.fill(null);
  const scale = buckets / (x1 - x0);
  const end = upperBound(x, x1);
  let bucket = -1;
  let minAt = -1;
  let maxAt = -1;
  const flush = () => {
    if (bucket < 0 || minAt < 0) return;
    const first = Math.min(minAt, maxAt);
    const second = Math.max(minAt, maxAt);
    out[2 * bucket] = y[first]!;
    if (second !== first) out[2 * bucket + 1] = y[second]!;
  };
  for (let i = lowerBound(x, x0); i < end; i++) {
    const v = y[i]!;
    if (!Number.isFinite(v)) continue;
    const k = Math.min(buckets - 1, Math.floor((x[i]! - x0) * scale));
    if (k !== bucket) {
      flush();
      bucket = k;
      minAt = i;
      maxAt = i;
    } else {
      if (v < y[minAt]!) minAt = i;
      if (v > y[maxAt]!) maxAt = i;
    }
  }
  flush();
}

/** The mean of each bucket of [x0, x1] (NaN where empty). */
export function meanBuckets(x: ArrayLike<number>, y: ArrayLike<number>, x0: number, x1: number, buckets: number) {
  const sum = new Float64Array(buckets);
  const count = new Float64Array(buckets);
  const scale = buckets / (x1 - x0);
  const end = upperBound(x, x1);
  for (let i = lowerBound(x, x0); i < end; i++) {
    const v = y[i]!;
    if (!Number.isFinite(v)) continue;
    const k = Math.min(buckets - 1, Math.floor((x[i]! - x0) * scale));
    sum[k]! += v;
    count[k]!++;
  }
  for (let k = 0; k < buckets; k++) sum[k] = count[k]! > 0 ? sum[k]! / count[k]! : Number.NaN;
  return sum;
}

/** Mean and standard deviation across runs, bucket by bucket (NaN where no run has a value). */
export function meanAndSpread(perRun: Float64Array[], buckets: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(buckets);
  const std = new Float64Array(buckets);
  for (let k = 0; k < buckets; k++) {
    let n = 0;
    let sum = 0;
    let squares = 0;
    for (const run of perRun) {
      const v = run[k]!;
      if (Number.isNaN(v)) continue;
      n++;
      sum += v;
      squares += v * v;
    }
    mean[k] = n > 0 ? sum / n : Number.NaN;
    std[k] = n > 0 ? Math.sqrt(Math.max(0, squares / n - (sum / n) ** 2)) : Number.NaN;
  }
  return { mean, std };
}

/**
 * The line's height at `at`: a stored point there, or the straight line between the stored
 * points on either side (so a zoomed view's lines run exactly to its edges); null when the
 * line does not cross `at` or a neighbour is not finite.
 */
export function valueAt(x: ArrayLike<number>, y: ArrayLike<number>, at: number): number | null {
  const i = lowerBound(x, at);
  if (i < x.length && x[i] === at) return Number.isFinite(y[i]!) ? y[i]! : null;
  if (i === 0 || i === x.length) return null;
  const [xa, ya, xb, yb] = [x[i - 1]!, y[i - 1]!, x[i]!, y[i]!];
  if (!Number.isFinite(ya) || !Number.isFinite(yb)) return null;
  return ya + ((yb - ya) * (at - xa)) / (xb - xa);
}
