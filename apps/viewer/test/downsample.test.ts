import { SeededRandom } from '@mtl/common';
import { describe, expect, it } from 'vitest';
import { meanAndSpread, meanBuckets, minMaxBuckets, slotGrid, valueAt } from '../web/downsample.js';
import { debiasedEma } from '../web/smoothing.js';

describe('minMaxBuckets', () => {
  it('keeps every bucket extreme of a million noisy points with spikes', () => {
    const random = new SeededRandom(7);
    const n = 1_000_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = Array.from({ length: n }, () => random.uniform(0, 1));
    y[123_457] = 50;
    y[876_543] = -50;
    const buckets = 800;
    const out = new Array<number | null>(2 * buckets);
    minMaxBuckets(x, y, 0, n, buckets, out);
    const per = n / buckets;
    for (let k = 0; k < buckets; k++) {
      const slice = y.slice(k * per, (k + 1) * per);
      const shown = [out[2 * k], out[2 * k + 1]];
      expect(shown).toContain(Math.min(...slice));
      expect(shown).toContain(Math.max(...slice));
    }
    expect(Math.max(...(out as number[]))).toBe(50);
    expect(Math.min(...(out as number[]))).toBe(-50);
  });

  it('writes min and max in x order, one point alone, and skips non-finite values', () => {
    const out = new Array<number | null>(6);
    minMaxBuckets([0, 1, 2, 3, 4], [5, 1, 9, Number.NaN, 2], 0, 6, 3, out);
    // Bucket 0 holds x 0..1 (5 then 1), bucket 1 holds x 2..3 (9; NaN skipped), bucket 2 holds x 4.
    expect(out).toEqual([5, 1, 9, null, 2, null]);
    expect(Array.from(slotGrid(0, 6, 3))).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
  });

  it('averages buckets and spreads them across runs', () => {
    expect(Array.from(meanBuckets([0, 1, 2, 3], [1, 3, 10, 20], 0, 4, 2))).toEqual([2, 15]);
    const { mean, std } = meanAndSpread([new Float64Array([1, Number.NaN]), new Float64Array([3, 4])], 2);
    expect(Array.from(mean)).toEqual([2, 4]);
    expect(Array.from(std)).toEqual([1, 0]);
  });
});

describe('valueAt', () => {
  it('is a stored point, or the line between its neighbours, or null outside the line', () => {
    const x = [0, 10, 20];
    const y = [1, 3, Number.NaN];
    expect(valueAt(x, y, 10)).toBe(3);
    expect(valueAt(x, y, 2.5)).toBe(1.5);
    expect(valueAt(x, y, 15)).toBeNull();
    expect(valueAt(x, y, -1)).toBeNull();
    expect(valueAt(x, y, 21)).toBeNull();
  });
});

describe('debiasedEma', () => {
  it('starts at the first value, keeps a constant series constant, and skips gaps', () => {
    const smoothed = debiasedEma([2, 2, Number.NaN, 2], 0.9);
    expect(smoothed[0]).toBeCloseTo(2, 12);
    expect(smoothed[1]).toBeCloseTo(2, 12);
    expect(Number.isNaN(smoothed[2]!)).toBe(true);
    expect(smoothed[3]).toBeCloseTo(2, 12);
  });

  it('matches the formula on a step', () => {
    const w = 0.6;
    const s = debiasedEma([0, 1], w);
    // ema = (1 - w) * 1 + w * (1 - w) * 0, debiased by 1 - w^2.
    expect(s[1]).toBeCloseTo((1 - w) / (1 - w * w), 12);
    expect(Array.from(debiasedEma([1, 5], 0))).toEqual([1, 5]);
  });
});
