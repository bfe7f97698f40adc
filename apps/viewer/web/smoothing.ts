/**
 * TensorBoard's smoothing: an exponential moving average debiased by 1 - weight^n, so the
 * first points are not pulled towards zero. Non-finite values stay as they are and do not
 * enter the average.
 */
export function debiasedEma(values: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(values.length);
  let average = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = Number.NaN;
      continue;
    }
    average = average * weight + (1 - weight) * v;
    count++;
    out[i] = weight === 0 ? v : average / (1 - weight ** count);
  }
  return out;
}
