import { initBackend } from '@mtl/backend';
import { SeededRandom } from '@mtl/common';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockwise, fans, glorotUniform, heNormal, orthogonal, Scope, VariableStore } from '../src/index.js';

function stats(values: Float32Array) {
  let sum = 0;
  let squares = 0;
  let maxAbs = 0;
  for (const v of values) {
    sum += v;
    squares += v * v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(squares / values.length - mean * mean), maxAbs };
}

/** Gram matrix of the columns (or rows) of a row-major rows x cols matrix. */
function gram(values: Float32Array, rows: number, cols: number, ofColumns: boolean): number[][] {
  const n = ofColumns ? cols : rows;
  const len = ofColumns ? rows : cols;
  const at = (vector: number, i: number) => (ofColumns ? values[i * cols + vector]! : values[vector * cols + i]!);
  return Array.from({ length: n }, (_, a) =>
    Array.from({ length: n }, (_, b) => {
      let dot = 0;
      for (let i = 0; i < len; i++) dot += at(a, i) * at(b, i);
      return dot;
    }),
  );
}

function maxDeviationFromIdentity(matrix: number[][]): number {
  let worst = 0;
  matrix.forEach((row, i) => {
    row.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(v - (i === j ? 1 : 0)));
    });
  });
  return worst;
}

describe('initializers', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('computes fans for dense, conv1d and conv2d kernels', () => {
    expect(fans([20, 30])).toEqual({ fanIn: 20, fanOut: 30 });
    expect(fans([80, 1, 40])).toEqual({ fanIn: 80, fanOut: 3200 });
    expect(fans([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288 });
  });

  it('Glorot uniform stays within sqrt(6 / (fanIn + fanOut)) with the matching variance', () => {
    const values = glorotUniform()([3, 3, 64, 64], new SeededRandom(1));
    const limit = Math.sqrt(6 / (9 * 64 + 9 * 64));
    const { mean, std, maxAbs } = stats(values);
    expect(maxAbs).toBeLessThanOrEqual(limit);
    expect(maxAbs).toBeGreaterThan(0.99 * limit);
    expect(Math.abs(mean)).toBeLessThan(0.01 * limit);
    expect(std / (limit / Math.sqrt(3))).toBeCloseTo(1, 1);
  });

  it('He normal has std sqrt(2 / fanIn)', () => {
    const { mean, std } = stats(heNormal()([5, 5, 32, 64], new SeededRandom(2)));
    const expected = Math.sqrt(2 / (25 * 32));
    expect(Math.abs(mean)).toBeLessThan(0.02 * expected);
    expect(std / expected).toBeCloseTo(1, 1);
  });

  it('orthogonal gives orthonormal columns for tall and orthonormal rows for wide shapes', () => {
    const tall = orthogonal()([40, 12], new SeededRandom(3));
    expect(maxDeviationFromIdentity(gram(tall, 40, 12, true))).toBeLessThan(1e-5);
    const wide = orthogonal()([12, 40], new SeededRandom(4));
    expect(maxDeviationFromIdentity(gram(wide, 12, 40, false))).toBeLessThan(1e-5);
    const square = orthogonal(2)([16, 16], new SeededRandom(5));
    // Scaled by the gain: Q^T Q = gain^2 I.
    const g = gram(square, 16, 16, true).map((row) => row.map((v) => v / 4));
    expect(maxDeviationFromIdentity(g)).toBeLessThan(1e-5);
    expect(() => orthogonal()([3, 3, 3], new SeededRandom(0))).toThrow(/2-D shape/);
  });

  it('blockwise orthogonal makes each LSTM gate block orthogonal on its own', () => {
    const units = 8;
    const values = blockwise(orthogonal(), 4)([units, 4 * units], new SeededRandom(6));
    for (let gate = 0; gate < 4; gate++) {
      const block = new Float32Array(units * units);
      for (let r = 0; r < units; r++) {
        block.set(values.subarray(r * 4 * units + gate * units, r * 4 * units + (gate + 1) * units), r * units);
      }
      expect(maxDeviationFromIdentity(gram(block, units, units, true))).toBeLessThan(1e-5);
    }
    expect(() => blockwise(orthogonal(), 4)([4, 10], new SeededRandom(0))).toThrow(/not divisible/);
  });

  it('seeds each variable by its path: same seed and path give the same values, others differ', () => {
    const a = new VariableStore('initA', 7);
    const b = new VariableStore('initB', 7);
    const c = new VariableStore('initC', 8);
    try {
      const read = (store: VariableStore, path: string) =>
        Array.from(new Scope(store, 'net').variable(path, [4, 4], glorotUniform()).dataSync());
      const first = read(a, 'kernel');
      expect(read(b, 'kernel')).toEqual(first);
      expect(read(c, 'kernel')).not.toEqual(first);
      expect(read(a, 'other')).not.toEqual(first);
      expect(() => read(a, 'kernel')).toThrow(/'net\/kernel' is created twice/);
      expect(() => read(a, 'bad name')).toThrow(/invalid segment 'bad name'/);
      expect(tf.engine().registeredVariables['initA/net/kernel']).toBeDefined();
      expect(() => new VariableStore('initA', 0).scope('net').variable('kernel', [1], glorotUniform())).toThrow(
        /live model named 'initA' already owns 'net\/kernel'/,
      );
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
    expect(tf.engine().registeredVariables['initA/net/kernel']).toBeUndefined();
  });
});
